//! Entry bundles: big-endian uint16 length-prefixed entries (C2SP tlog-tiles).

/// Largest entry a bundle can hold.
pub const MAX_ENTRY: usize = u16::MAX as usize;

/// Encodes entries (each at most [`MAX_ENTRY`] bytes; checked by the caller).
pub fn encode<E: AsRef<[u8]>>(entries: &[E]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.as_ref().len() + 2).sum());
    for e in entries {
        append(&mut out, e.as_ref());
    }
    out
}

/// Appends one entry to an encoded bundle.
pub fn append(out: &mut Vec<u8>, e: &[u8]) {
    debug_assert!(e.len() <= MAX_ENTRY);
    out.extend_from_slice(&(e.len() as u16).to_be_bytes());
    out.extend_from_slice(e);
}

/// Decodes a bundle; a truncated length or entry is an error.
pub fn decode(mut b: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    while !b.is_empty() {
        if b.len() < 2 {
            return Err(format!(
                "truncated length prefix after {} entries",
                out.len()
            ));
        }
        let n = usize::from(u16::from_be_bytes([b[0], b[1]]));
        if b.len() < 2 + n {
            return Err(format!(
                "entry {} claims {n} bytes, only {} left",
                out.len(),
                b.len() - 2
            ));
        }
        out.push(b[2..2 + n].to_vec());
        b = &b[2 + n..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), vec![], vec![7; 300]];
        let b = encode(&entries);
        assert_eq!(&b[..3], &[0, 1, b'a']);
        assert_eq!(decode(&b).unwrap(), entries);
        assert!(decode(&b[..b.len() - 1]).is_err());
        assert!(decode(&[0]).is_err());
    }
}
