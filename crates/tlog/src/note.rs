//! C2SP signed-note with Ed25519 signatures (type 0x01) and timestamped Ed25519 witness
//! cosignatures (type 0x04, C2SP tlog-cosignature); keys in the `vkey` / `skey` text forms.

use crate::error::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type byte of plain Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 cosignatures (cosignature/v1).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// Most signature lines a note may carry before it is refused.
pub const MAX_SIGNATURES: usize = 100;

/// Key ID: first four bytes of SHA-256(name || 0x0A || type || public key), big-endian.
pub fn key_id(name: &str, alg: u8, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', alg]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Checks a key name: non-empty, no Unicode space, no `+`.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('+') || name.chars().any(|c| c.is_whitespace()) {
        return Err(Error::Key(format!(
            "invalid key name {name:?} (non-empty, no spaces, no '+')"
        )));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(Error::Key(format!("invalid key name {name:?}")));
    }
    Ok(())
}

/// A private signing key with its name and type.
pub struct Signer {
    name: String,
    alg: u8,
    id: u32,
    key: SigningKey,
}

impl Signer {
    /// A new random key (from the operating system's generator).
    pub fn generate(name: &str, alg: u8) -> Result<Signer> {
        check_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| Error::Key(format!("no randomness: {e}")))?;
        Ok(Signer::from_seed(name, alg, seed))
    }

    fn from_seed(name: &str, alg: u8, seed: [u8; 32]) -> Signer {
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, alg, key.verifying_key().as_bytes());
        Signer {
            name: name.to_string(),
            alg,
            id,
            key,
        }
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>`.
    pub fn from_skey(s: &str) -> Result<Signer> {
        let s = s.trim_end_matches('\n');
        let rest = s
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| Error::Key("not a private key (PRIVATE+KEY+...)".into()))?;
        let (name, id, material) = split_key(rest)?;
        let (alg, seed) = material_32(&material)?;
        let signer = Signer::from_seed(&name, alg, seed);
        if signer.id != id {
            return Err(Error::Key(format!(
                "key ID {id:08x} does not match the key"
            )));
        }
        Ok(signer)
    }

    /// The private key in its text form. Keep it secret.
    pub fn skey(&self) -> String {
        let mut m = vec![self.alg];
        m.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(m)
        )
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            alg: self.alg,
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs a note text with a plain Ed25519 signature, returning the signature line.
    pub fn sign_line(&self, text: &str) -> String {
        let sig = self.key.sign(text.as_bytes());
        let mut b = self.id.to_be_bytes().to_vec();
        b.extend_from_slice(&sig.to_bytes());
        format!("— {} {}\n", self.name, B64.encode(b))
    }

    /// Cosigns a checkpoint text at `timestamp` (cosignature/v1), returning the signature line.
    pub fn cosign_line(&self, text: &str, timestamp: u64) -> String {
        let msg = cosigned_message(text, timestamp);
        let sig = self.key.sign(msg.as_bytes());
        let mut b = self.id.to_be_bytes().to_vec();
        b.extend_from_slice(&timestamp.to_be_bytes());
        b.extend_from_slice(&sig.to_bytes());
        format!("— {} {}\n", self.name, B64.encode(b))
    }

    /// A signed note: the text, a blank line, and this key's signature line.
    pub fn sign_note(&self, text: &str) -> Result<String> {
        check_text(text)?;
        Ok(format!("{text}\n{}", self.sign_line(text)))
    }
}

fn cosigned_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

fn split_key(rest: &str) -> Result<(String, u32, Vec<u8>)> {
    let mut it = rest.splitn(3, '+');
    let (Some(name), Some(id), Some(material)) = (it.next(), it.next(), it.next()) else {
        return Err(Error::Key("expected <name>+<id>+<key>".into()));
    };
    check_name(name)?;
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Key(format!("malformed key ID {id:?}")));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| Error::Key("malformed key ID".into()))?;
    let material = B64
        .decode(material)
        .map_err(|_| Error::Key("key material is not base64".into()))?;
    Ok((name.to_string(), id, material))
}

fn material_32(m: &[u8]) -> Result<(u8, [u8; 32])> {
    match m {
        [alg, rest @ ..] if rest.len() == 32 => {
            if *alg != ALG_ED25519 && *alg != ALG_COSIGNATURE_V1 {
                return Err(Error::Key(format!("unsupported key type 0x{alg:02x}")));
            }
            Ok((*alg, rest.try_into().expect("32 bytes")))
        }
        _ => Err(Error::Key("key material has the wrong length".into())),
    }
}

/// A public key that checks signatures of one name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    alg: u8,
    id: u32,
    key: VerifyingKey,
}

impl Verifier {
    /// Parses `<name>+<hex id>+<base64(type || public key)>`.
    pub fn from_vkey(s: &str) -> Result<Verifier> {
        let (name, id, material) = split_key(s.trim())?;
        let (alg, public) = material_32(&material)?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| Error::Key("not a valid Ed25519 public key".into()))?;
        if key.is_weak() {
            return Err(Error::Key("small-order Ed25519 public key".into()));
        }
        if key_id(&name, alg, &public) != id {
            return Err(Error::Key(format!(
                "key ID {id:08x} does not match the key"
            )));
        }
        Ok(Verifier { name, alg, id, key })
    }

    /// The `vkey` text form.
    pub fn vkey(&self) -> String {
        let mut m = vec![self.alg];
        m.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(m))
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Signature type byte.
    pub fn alg(&self) -> u8 {
        self.alg
    }

    /// Checks one signature of `text`; for cosignatures, returns the timestamp.
    fn check(&self, text: &str, sig: &[u8]) -> Option<u64> {
        match self.alg {
            ALG_ED25519 => {
                let s = Signature::from_slice(sig).ok()?;
                self.key.verify(text.as_bytes(), &s).ok().map(|_| 0)
            }
            ALG_COSIGNATURE_V1 => {
                if sig.len() != 72 {
                    return None;
                }
                let ts = u64::from_be_bytes(sig[..8].try_into().ok()?);
                if ts > i64::MAX as u64 {
                    return None;
                }
                let s = Signature::from_slice(&sig[8..]).ok()?;
                let msg = cosigned_message(text, ts);
                self.key.verify(msg.as_bytes(), &s).ok().map(|_| ts)
            }
            _ => None,
        }
    }
}

/// A signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key ID.
    pub id: u32,
    /// Signature bytes after the key ID.
    pub sig: Vec<u8>,
}

/// A parsed (not yet verified) signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The text, ending in a newline.
    pub text: String,
    /// Its signatures, in order.
    pub signatures: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<()> {
    if !text.ends_with('\n') {
        return Err(Error::Note("text must end with a newline".into()));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(Error::Note("text contains control characters".into()));
    }
    Ok(())
}

impl Note {
    /// Parses a signed note.
    pub fn parse(note: &[u8]) -> Result<Note> {
        let s = std::str::from_utf8(note).map_err(|_| Error::Note("not UTF-8".into()))?;
        if s.chars().any(|c| c < ' ' && c != '\n') {
            return Err(Error::Note("contains control characters".into()));
        }
        let Some(split) = s.rfind("\n\n") else {
            return Err(Error::Note("no blank line before the signatures".into()));
        };
        let text = &s[..split + 1];
        let sigs = &s[split + 2..];
        if !sigs.ends_with('\n') {
            return Err(Error::Note(
                "signature block must end with a newline".into(),
            ));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(Error::Note(format!(
                    "more than {MAX_SIGNATURES} signatures"
                )));
            }
            let rest = line
                .strip_prefix("— ")
                .ok_or_else(|| Error::Note(format!("malformed signature line {line:?}")))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| Error::Note(format!("malformed signature line {line:?}")))?;
            check_name(name).map_err(|_| Error::Note(format!("bad key name {name:?}")))?;
            let b = B64
                .decode(b64)
                .map_err(|_| Error::Note(format!("signature of {name} is not base64")))?;
            if b.len() < 5 {
                return Err(Error::Note(format!("signature of {name} is too short")));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                id: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                sig: b[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(Error::Note("no signatures".into()));
        }
        Ok(Note {
            text: text.to_string(),
            signatures,
        })
    }

    /// Checks the signatures of known keys. Unknown keys are ignored; a known key whose
    /// signature fails rejects the whole note; at least one known key must have signed.
    /// Returns, per verifier that signed, the timestamp (0 for plain signatures).
    pub fn verify(&self, verifiers: &[Verifier]) -> Result<Vec<(Verifier, u64)>> {
        let mut ok = Vec::new();
        for s in &self.signatures {
            let Some(v) = verifiers.iter().find(|v| v.name == s.name && v.id == s.id) else {
                continue;
            };
            match v.check(&self.text, &s.sig) {
                Some(ts) => ok.push((v.clone(), ts)),
                None => {
                    return Err(Error::Note(format!(
                        "signature of {} ({:08x}) does not verify",
                        s.name, s.id
                    )));
                }
            }
        }
        if ok.is_empty() {
            return Err(Error::Note("not signed by a known key".into()));
        }
        Ok(ok)
    }

    /// The note in its text form.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.text);
        for s in &self.signatures {
            let mut b = s.id.to_be_bytes().to_vec();
            b.extend_from_slice(&s.sig);
            out.push_str(&format!("— {} {}\n", s.name, B64.encode(b)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The published example key and note of the Go signed-note implementation
    // (golang.org/x/mod/sumdb/note): Ed25519 is deterministic, so signing must reproduce it.
    const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn reproduces_the_published_example() {
        let s = Signer::from_skey(SKEY).unwrap();
        assert_eq!(s.verifier().vkey(), VKEY);
        assert_eq!(s.skey(), SKEY);
        assert_eq!(s.sign_line(TEXT), SIG);
        let note = format!("{TEXT}\n{SIG}");
        let v = Verifier::from_vkey(VKEY).unwrap();
        let n = Note::parse(note.as_bytes()).unwrap();
        assert_eq!(n.text, TEXT);
        assert_eq!(n.verify(std::slice::from_ref(&v)).unwrap().len(), 1);
        assert_eq!(n.to_text(), note);
        let forged = note.replace("cryptography", "cryptographY");
        assert!(
            Note::parse(forged.as_bytes())
                .unwrap()
                .verify(&[v])
                .is_err()
        );
    }

    #[test]
    fn mangled_vkeys_are_refused() {
        let b = VKEY.as_bytes();
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] = m[i].wrapping_add(1);
            if let Ok(s) = std::str::from_utf8(&m) {
                assert!(Verifier::from_vkey(s).is_err(), "{s}");
            }
        }
        assert!(Verifier::from_vkey(&VKEY[..VKEY.len() - 4]).is_err());
        assert!(Verifier::from_vkey("").is_err());
    }

    #[test]
    fn cosignature_round_trip_and_domain_separation() {
        let w = Signer::generate("witness.example/w1", ALG_COSIGNATURE_V1).unwrap();
        let text = "example.com/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let line = w.cosign_line(text, 1_700_000_000);
        let n = Note::parse(format!("{text}\n{line}").as_bytes()).unwrap();
        let got = n.verify(&[w.verifier()]).unwrap();
        assert_eq!(got[0].1, 1_700_000_000);
        // A plain signature by the same key is not a cosignature (different key ID).
        let plain = Signer::from_seed("witness.example/w1", ALG_ED25519, *w.key.as_bytes());
        let n2 = Note::parse(format!("{text}\n{}", plain.sign_line(text)).as_bytes()).unwrap();
        assert!(n2.verify(&[w.verifier()]).is_err());
    }

    #[test]
    fn unknown_keys_are_ignored_known_bad_ones_reject() {
        let a = Signer::generate("a.example", ALG_ED25519).unwrap();
        let b = Signer::generate("b.example", ALG_ED25519).unwrap();
        let text = "hello\n";
        let note = format!("{text}\n{}{}", a.sign_line(text), b.sign_line(text));
        let n = Note::parse(note.as_bytes()).unwrap();
        assert_eq!(n.verify(&[b.verifier()]).unwrap().len(), 1);
        let bad = format!("{text}\n{}", a.sign_line("other\n"));
        let n = Note::parse(bad.as_bytes()).unwrap();
        assert!(n.verify(&[a.verifier(), b.verifier()]).is_err());
    }

    #[test]
    fn malformed_notes_are_refused() {
        for bad in [
            "no signatures\n",
            "text\n\n",
            "text\n\n— name\n",
            "text\n\n— a b c\n",
            "text\n\nx name AAAAAAA=\n",
            "te\u{1}xt\n\n— a AAAAAAA=\n",
        ] {
            assert!(Note::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(Note::parse(&[0xff, b'\n', b'\n']).is_err());
    }
}
