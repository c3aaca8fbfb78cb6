//! A witness: an independent process, run by the integrity office on another machine, that
//! follows a log, checks that every new checkpoint extends the last one it saw, and cosigns it
//! (C2SP tlog-cosignature, cosignature/v1). A fork or a rollback is refused, kept as evidence,
//! and reported as an [`Alarm`]; the witness's view never moves to the bad checkpoint.

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::note::{ALG_COSIGNATURE_V1, Note, Signer, Verifier};
use crate::proof::{consistency_proof, verify_consistency};
use crate::reader::TileReader;
use crate::store::{Source, write_durably};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The log misbehaved: what the witness saw and where the evidence is kept.
#[derive(Debug, thiserror::Error)]
pub enum Alarm {
    /// A checkpoint smaller than one already seen.
    #[error(
        "ROLLBACK: {origin} went back from {seen} to {got} entries (evidence: {})",
        evidence.display()
    )]
    Rollback {
        /// Log origin.
        origin: String,
        /// Size the witness had seen.
        seen: u64,
        /// Size now claimed.
        got: u64,
        /// File with both signed checkpoints.
        evidence: PathBuf,
    },
    /// A checkpoint that does not extend the one already seen (same size with another root,
    /// or no valid consistency proof).
    #[error(
        "FORK: {origin} at {got} entries is not consistent with {seen} entries seen before: {why} (evidence: {})",
        evidence.display()
    )]
    Fork {
        /// Log origin.
        origin: String,
        /// Size the witness had seen.
        seen: u64,
        /// Size now claimed.
        got: u64,
        /// Why the two are inconsistent.
        why: String,
        /// File with both signed checkpoints.
        evidence: PathBuf,
    },
}

/// What one observation found.
#[derive(Debug)]
pub enum Observed {
    /// Alright: the checkpoint (first seen, same or extending), cosigned.
    Cosigned {
        /// Size seen before (None the first time).
        previous: Option<u64>,
        /// The checkpoint.
        checkpoint: Checkpoint,
        /// The log's note with this witness's cosignature added.
        cosigned: String,
    },
    /// The log misbehaved.
    Alarm(Alarm),
}

/// A witness with its key and state directory.
pub struct Witness {
    dir: PathBuf,
    signer: Signer,
}

impl Witness {
    /// Creates a witness state directory with a new cosigning key named `name`.
    pub fn init(dir: &Path, name: &str) -> Result<Verifier> {
        let signer = Signer::generate(name, ALG_COSIGNATURE_V1)?;
        if dir.join("key").exists() {
            return Err(Error::corrupt(
                dir.display(),
                "a witness already exists here",
            ));
        }
        fs::create_dir_all(dir.join("logs")).map_err(|e| Error::io(dir.display(), e))?;
        fs::create_dir_all(dir.join("evidence")).map_err(|e| Error::io(dir.display(), e))?;
        let key = dir.join("key");
        crate::store::write_secret(&key, format!("{}\n", signer.skey()).as_bytes())?;
        Ok(signer.verifier())
    }

    /// Opens an existing witness directory.
    pub fn open(dir: &Path) -> Result<Witness> {
        let key = dir.join("key");
        let s = fs::read_to_string(&key).map_err(|e| Error::io(key.display(), e))?;
        let signer = Signer::from_skey(s.trim())?;
        if signer.verifier().alg() != ALG_COSIGNATURE_V1 {
            return Err(Error::Key(
                "the witness key is not a cosignature key".into(),
            ));
        }
        Ok(Witness {
            dir: dir.to_path_buf(),
            signer,
        })
    }

    /// The witness's verifier key (type 0x04).
    pub fn verifier(&self) -> Verifier {
        self.signer.verifier()
    }

    fn state_path(&self, origin: &str) -> PathBuf {
        let h = Sha256::digest(origin.as_bytes());
        let name: String = h[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join("logs").join(name)
    }

    /// The last checkpoint this witness accepted for the log, if any.
    pub fn last_seen(&self, log_key: &Verifier) -> Result<Option<(Checkpoint, String)>> {
        let p = self.state_path(log_key.name());
        match fs::read(&p) {
            Ok(b) => {
                let (c, _) = Checkpoint::open(&b, log_key)
                    .map_err(|e| Error::corrupt(p.display(), format!("witness state: {e}")))?;
                Ok(Some((c, String::from_utf8_lossy(&b).into_owned())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(p.display(), e)),
        }
    }

    /// Fetches the log's checkpoint and checks it against the last one seen. Errors are
    /// problems of reaching or reading the log (retry later); misbehaviour is an [`Alarm`].
    pub fn observe<S: Source + ?Sized>(&self, src: &S, log_key: &Verifier) -> Result<Observed> {
        let raw = src
            .get("checkpoint")?
            .ok_or_else(|| Error::Missing(format!("{}/checkpoint", src.describe())))?;
        let (cp, _) = Checkpoint::open(&raw, log_key)?;
        let raw = String::from_utf8(raw).map_err(|_| Error::Note("not UTF-8".into()))?;
        let last = self.last_seen(log_key)?;
        if let Some((seen, seen_raw)) = &last {
            if cp.size < seen.size {
                let evidence = self.keep_evidence(seen_raw, &raw, "rollback")?;
                return Ok(Observed::Alarm(Alarm::Rollback {
                    origin: cp.origin,
                    seen: seen.size,
                    got: cp.size,
                    evidence,
                }));
            }
            let why = if cp.size == seen.size {
                (cp.root != seen.root).then(|| "same size, different root hash".to_string())
            } else {
                let mut reader = TileReader::new(src, cp.size);
                let proof = consistency_proof(&mut reader, seen.size, cp.size)??;
                verify_consistency(seen.size, cp.size, &proof, &seen.root, &cp.root)
                    .err()
                    .map(|e| format!("consistency proof from the log's tiles: {e}"))
            };
            if let Some(why) = why {
                let evidence = self.keep_evidence(seen_raw, &raw, "fork")?;
                return Ok(Observed::Alarm(Alarm::Fork {
                    origin: cp.origin,
                    seen: seen.size,
                    got: cp.size,
                    why,
                    evidence,
                }));
            }
        }
        // Remember before cosigning: a cosignature is a statement about the largest tree seen.
        if last.as_ref().is_none_or(|(s, _)| s.size < cp.size) {
            write_durably(&self.state_path(&cp.origin), raw.as_bytes())?;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut note = Note::parse(raw.as_bytes())?;
        let line = self.signer.cosign_line(&note.text, now);
        let added = Note::parse(format!("{}\n{line}", note.text).as_bytes())?;
        note.signatures
            .retain(|s| !(s.name == self.signer.name() && s.id == added.signatures[0].id));
        note.signatures.extend(added.signatures);
        let cosigned = note.to_text();
        let out = self.dir.join("cosigned");
        fs::create_dir_all(&out).map_err(|e| Error::io(out.display(), e))?;
        let name = self
            .state_path(&cp.origin)
            .file_name()
            .expect("state file name")
            .to_os_string();
        write_durably(&out.join(name), cosigned.as_bytes())?;
        Ok(Observed::Cosigned {
            previous: last.map(|(s, _)| s.size),
            checkpoint: cp,
            cosigned,
        })
    }

    fn keep_evidence(&self, seen: &str, got: &str, what: &str) -> Result<PathBuf> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = self.dir.join("evidence");
        fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
        let p = dir.join(format!("{now}-{what}.txt"));
        let text = format!(
            "baomi witness evidence: {what}\n\n# checkpoint seen before\n{seen}\n# checkpoint served now\n{got}"
        );
        write_durably(&p, text.as_bytes())?;
        Ok(p)
    }
}

/// Verifies a cosigned checkpoint: the log's signature and at least `quorum` of the given
/// witnesses' cosignatures. Returns the checkpoint and the witnesses that cosigned it.
pub fn verify_cosigned(
    note: &[u8],
    log_key: &Verifier,
    witnesses: &[Verifier],
    quorum: usize,
) -> Result<(Checkpoint, Vec<(String, u64)>)> {
    let (cp, n) = Checkpoint::open(note, log_key)?;
    let got = if witnesses.is_empty() {
        Vec::new()
    } else {
        match n.verify(witnesses) {
            Ok(v) => v,
            Err(_) if quorum == 0 => Vec::new(),
            Err(e) => return Err(e),
        }
    };
    let got: Vec<(String, u64)> = got
        .into_iter()
        .map(|(v, ts)| (v.name().to_string(), ts))
        .collect();
    if got.len() < quorum {
        return Err(Error::Note(format!(
            "{} of {quorum} required witness cosignatures",
            got.len()
        )));
    }
    Ok((cp, got))
}
