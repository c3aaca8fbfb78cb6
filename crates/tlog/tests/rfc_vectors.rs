//! Interoperability: the published RFC 6962 test vectors (certificate-transparency / the
//! transparency-dev merkle package: eight leaves, the roots of every prefix, and published
//! inclusion and consistency proofs), plus properties over random trees.

use baomi_tlog::Hash;
use baomi_tlog::hash::{leaf_hash, root_of_leaves};
use baomi_tlog::proof::{
    InMemory, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

fn leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| {
        (0..h.len() / 2)
            .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    })
    .collect()
}

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(s: &str) -> Hash {
    Hash::from_hex(s).unwrap()
}

fn leaf_hashes() -> Vec<Hash> {
    leaves().iter().map(|l| leaf_hash(l)).collect()
}

#[test]
fn roots_of_every_prefix() {
    let lh = leaf_hashes();
    for (n, want) in ROOTS.iter().enumerate() {
        assert_eq!(root_of_leaves(&lh[..n]), h(want), "size {n}");
    }
}

#[test]
fn published_inclusion_proofs() {
    let lh = leaf_hashes();
    let cases: &[(u64, u64, &[&str])] = &[
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for &(i, n, want) in cases {
        let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
        let got = inclusion_proof(&mut InMemory(&lh[..n as usize]), i, n)
            .unwrap()
            .unwrap();
        assert_eq!(got, want, "leaf {i} of {n}");
        verify_inclusion(i, n, &lh[i as usize], &want, &h(ROOTS[n as usize])).unwrap();
        if !want.is_empty() {
            // Any other root, leaf or truncated proof fails.
            assert!(
                verify_inclusion(i, n, &lh[i as usize], &want, &h(ROOTS[n as usize - 1])).is_err()
            );
            assert!(
                verify_inclusion(
                    i,
                    n,
                    &lh[(i as usize + 1) % 8],
                    &want,
                    &h(ROOTS[n as usize])
                )
                .is_err()
            );
            assert!(
                verify_inclusion(i, n, &lh[i as usize], &want[1..], &h(ROOTS[n as usize])).is_err()
            );
        }
    }
}

#[test]
fn published_consistency_proofs() {
    let lh = leaf_hashes();
    let cases: &[(u64, u64, &[&str])] = &[
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for &(m, n, want) in cases {
        let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
        let got = consistency_proof(&mut InMemory(&lh[..n as usize]), m, n)
            .unwrap()
            .unwrap();
        assert_eq!(got, want, "{m} -> {n}");
        verify_consistency(m, n, &want, &h(ROOTS[m as usize]), &h(ROOTS[n as usize])).unwrap();
        if m != n {
            assert!(
                verify_consistency(
                    m,
                    n,
                    &want,
                    &h(ROOTS[m as usize + 1]),
                    &h(ROOTS[n as usize])
                )
                .is_err()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_proof_verifies_and_no_wrong_one_does(n in 1u64..300, a in 0u64..300, b in 0u64..300) {
        let lh: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let root = root_of_leaves(&lh);
        let i = a % n;
        let p = inclusion_proof(&mut InMemory(&lh), i, n).unwrap().unwrap();
        prop_assert!(verify_inclusion(i, n, &lh[i as usize], &p, &root).is_ok());
        let wrong = (i + 1) % n;
        if wrong != i {
            prop_assert!(verify_inclusion(wrong, n, &lh[i as usize], &p, &root).is_err());
        }
        let m = 1 + b % n;
        let old = root_of_leaves(&lh[..m as usize]);
        let c = consistency_proof(&mut InMemory(&lh), m, n).unwrap().unwrap();
        prop_assert!(verify_consistency(m, n, &c, &old, &root).is_ok());
        if m < n {
            let other = root_of_leaves(&lh[..m as usize - 1]);
            prop_assert!(verify_consistency(m, n, &c, &other, &root).is_err());
            // A proof for another old size fails too.
            prop_assert!(verify_consistency(m + 1, n, &c, &old, &root).is_err() || m + 1 == n);
        }
    }
}
