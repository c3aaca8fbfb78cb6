//! Sealing secrets at rest (XChaCha20-Poly1305) with a key kept in the data folder, outside the
//! database: a copy of the database alone does not reveal them. Each sealed value is bound to its
//! purpose and owner (associated data), so a value cannot be moved to another row.

use crate::error::{Error, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::path::Path;

/// The sealing key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// Reads `path`, creating it (32 random bytes, mode 0600) on first use.
    pub fn load_or_create(path: &Path) -> Result<Sealer> {
        let key = load_or_create_key(path)?;
        Ok(Sealer {
            cipher: XChaCha20Poly1305::new(&key.into()),
        })
    }

    /// Seals `plain` for `context` (e.g. `totp:12`): nonce || ciphertext.
    pub fn seal(&self, plain: &[u8], context: &str) -> Result<Vec<u8>> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
        let ct = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| Error::Internal("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a sealed value for `context`.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>> {
        if sealed.len() < 24 {
            return Err(Error::Internal("sealed value too short".into()));
        }
        self.cipher
            .decrypt(
                XNonce::from_slice(&sealed[..24]),
                Payload {
                    msg: &sealed[24..],
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                Error::Internal(format!(
                    "sealed value for {context} does not open (wrong key or moved)"
                ))
            })
    }
}

/// A 32-byte key kept in a file of its own (mode 0600), created with random bytes on first use.
pub fn load_or_create_key(path: &Path) -> Result<[u8; 32]> {
    let key = match std::fs::read(path) {
        Ok(k) => k,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d)
                    .map_err(|e| Error::Internal(format!("{}: {e}", d.display())))?;
            }
            let mut k = [0u8; 32];
            getrandom::fill(&mut k).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
            crate::store_private(path, &k)?;
            k.to_vec()
        }
        Err(e) => return Err(Error::Internal(format!("{}: {e}", path.display()))),
    };
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| Error::Internal(format!("{}: not a 32-byte key", path.display())))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sealed_values_are_bound_to_their_context() {
        let d = tempfile::tempdir().unwrap();
        let s = super::Sealer::load_or_create(&d.path().join("k/seal.key")).unwrap();
        let b = s.seal(b"secret", "totp:1").unwrap();
        assert_eq!(s.open(&b, "totp:1").unwrap(), b"secret");
        assert!(s.open(&b, "totp:2").is_err());
        let again = super::Sealer::load_or_create(&d.path().join("k/seal.key")).unwrap();
        assert_eq!(again.open(&b, "totp:1").unwrap(), b"secret");
    }
}
