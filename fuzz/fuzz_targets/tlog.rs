#![no_main]
//! Everything a log or a witness parses from outside: notes, checkpoints, keys, tile paths,
//! entry bundles, and a whole hostile log served to the verifier and the proof builder.

use baomi_tlog::store::Source;
use baomi_tlog::{Checkpoint, Note, Signer, Verifier, bundle, tile::Tile};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

struct Hostile(HashMap<String, Vec<u8>>);

impl Source for Hostile {
    fn get(&self, path: &str) -> baomi_tlog::Result<Option<Vec<u8>>> {
        Ok(self.0.get(path).cloned())
    }
    fn describe(&self) -> String {
        "fuzz".into()
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(n) = Note::parse(data) {
        let _ = n.to_text();
        let _ = Checkpoint::parse(&n.text);
    }
    let _ = Checkpoint::parse(&text);
    let _ = Verifier::from_vkey(&text);
    let _ = Signer::from_skey(&text);
    if let Some(t) = Tile::parse(&text) {
        assert_eq!(t.to_string(), text);
    }
    let _ = bundle::decode(data);

    // A hostile log: the first 8 bytes are the claimed size (kept small enough to finish),
    // the rest is cut into resources at the paths of that tree.
    if data.len() > 8 {
        let size = u64::from_le_bytes(data[..8].try_into().unwrap()) % 5000;
        let mut chunks = data[8..].chunks(97);
        let mut files = HashMap::new();
        for t in baomi_tlog::tile::tiles_of(size) {
            if let Some(c) = chunks.next() {
                files.insert(t.to_string(), c.to_vec());
            }
        }
        let src = Hostile(files);
        let cp = Checkpoint {
            origin: "fuzz.example/log".into(),
            size,
            root: baomi_tlog::Hash::empty(),
            extensions: vec![],
        };
        let _ = baomi_tlog::verify::verify_tree(&src, &cp);
        if size > 1 {
            let mut r = baomi_tlog::reader::TileReader::new(&src, size);
            let _ = baomi_tlog::proof::inclusion_proof(&mut r, size / 3, size);
            let _ = baomi_tlog::proof::consistency_proof(&mut r, size / 2, size);
        }
    }
});
