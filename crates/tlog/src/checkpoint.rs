//! Checkpoints (C2SP tlog-checkpoint): origin, tree size and root hash, as a signed note's text.

use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::note::{Note, Verifier};

/// A log's tree head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash at that size.
    pub root: Hash,
    /// Extension lines (none written by baomi).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a note text.
    pub fn parse(text: &str) -> Result<Checkpoint> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| Error::Note("checkpoint must end with a newline".into()))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(Error::Note(
                "checkpoint needs origin, size and root lines".into(),
            ));
        };
        if origin.is_empty() {
            return Err(Error::Note("empty origin".into()));
        }
        let canonical = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 = if canonical { size.parse().ok() } else { None }
            .ok_or_else(|| Error::Note(format!("bad tree size {size:?}")))?;
        let root = Hash::from_base64(root)
            .ok_or_else(|| Error::Note(format!("bad root hash {root:?}")))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(Error::Note("empty extension line".into()));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }

    /// Parses and verifies a signed checkpoint against the log's key; the origin must be the
    /// key's name (baomi logs sign with a key named after their origin).
    pub fn open(note: &[u8], log_key: &Verifier) -> Result<(Checkpoint, Note)> {
        let n = Note::parse(note)?;
        n.verify(std::slice::from_ref(log_key))?;
        let c = Checkpoint::parse(&n.text)?;
        if c.origin != log_key.name() {
            return Err(Error::Note(format!(
                "origin {:?} is not the key's name {:?}",
                c.origin,
                log_key.name()
            )));
        }
        Ok((c, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example_text() {
        let t =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let c = Checkpoint::parse(t).unwrap();
        assert_eq!(c.size, 20_852_163);
        assert_eq!(c.to_text(), t);
        for bad in [
            "o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "o\n1\nCsUY\n",
            "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
            "o\n1\n",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
