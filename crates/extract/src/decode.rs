//! Encoding detection and streaming decoding.

use std::io::{self, Read};

/// How many bytes the sniffer looks at.
pub const SNIFF_LEN: usize = 64 * 1024;

/// A text encoding baomi reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a BOM, if any, is skipped).
    Utf8,
    /// UTF-16 little-endian, with BOM.
    Utf16Le,
    /// UTF-16 big-endian, with BOM.
    Utf16Be,
    /// Big5 as Windows code page 950 (WHATWG big5), common in older agency files.
    Big5,
}

impl Encoding {
    /// Lower-case name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Big5 => "big5",
        }
    }

    fn rs(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Utf16Le => encoding_rs::UTF_16LE,
            Encoding::Utf16Be => encoding_rs::UTF_16BE,
            Encoding::Big5 => encoding_rs::BIG5,
        }
    }

    /// Encodes text back into this encoding (for writing masked copies in the original encoding).
    /// Characters the encoding cannot hold become numeric character references, as browsers do.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let mut out = if self == Encoding::Utf16Le {
                    vec![0xFF, 0xFE]
                } else {
                    vec![0xFE, 0xFF]
                };
                for u in text.encode_utf16() {
                    let b = if self == Encoding::Utf16Le {
                        u.to_le_bytes()
                    } else {
                        u.to_be_bytes()
                    };
                    out.extend_from_slice(&b);
                }
                out
            }
            Encoding::Big5 => self.rs().encode(text).0.into_owned(),
        }
    }
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Text in this encoding. `valid` is false when the sample was not valid in any encoding we
    /// know: it is then read as UTF-8 with invalid bytes replaced, and the caller should say so.
    Text {
        /// The encoding.
        encoding: Encoding,
        /// Whether the sample decoded without errors.
        valid: bool,
    },
    /// Not text: a known binary format, or NUL bytes in content that is not valid text.
    Binary {
        /// The format, when its signature is known (e.g. "ZIP archive or Office document").
        format: Option<&'static str>,
    },
}

/// Guesses the encoding of a file from its first bytes.
pub fn sniff(sample: &[u8]) -> Sniffed {
    if sample.starts_with(&[0xFF, 0xFE]) {
        return Sniffed::Text {
            encoding: Encoding::Utf16Le,
            valid: true,
        };
    }
    if sample.starts_with(&[0xFE, 0xFF]) {
        return Sniffed::Text {
            encoding: Encoding::Utf16Be,
            valid: true,
        };
    }
    let sample = &sample[..sample.len().min(SNIFF_LEN)];
    if let Some(format) = signature(sample) {
        return Sniffed::Binary {
            format: Some(format),
        };
    }
    let nuls = memchr::memchr_iter(0, sample).count();
    let utf8 = match simdutf8::compat::from_utf8(sample) {
        Ok(_) => true,
        // A char cut by the end of the sample is not an error.
        Err(e) => e.error_len().is_none(),
    };
    // A few NULs in valid UTF-8 (an export with padding) are still text to inspect; many are not.
    if utf8 && nuls * 100 <= sample.len() {
        return Sniffed::Text {
            encoding: Encoding::Utf8,
            valid: true,
        };
    }
    if nuls > 0 {
        return Sniffed::Binary { format: None };
    }
    // Big5 lead bytes are 0x81..0xFE and trail bytes 0x40..0x7E or 0xA1..0xFE; the sample may end
    // between the two bytes of a char.
    for cut in [sample.len(), sample.len().saturating_sub(1)] {
        if encoding_rs::BIG5
            .decode_without_bom_handling_and_without_replacement(&sample[..cut])
            .is_some()
        {
            return Sniffed::Text {
                encoding: Encoding::Big5,
                valid: true,
            };
        }
    }
    Sniffed::Text {
        encoding: Encoding::Utf8,
        valid: false,
    }
}

/// Names the binary formats agencies exchange, from their signatures. These are not text: reading
/// them as text would "scan" compressed bytes and find nothing, so they are reported instead.
fn signature(b: &[u8]) -> Option<&'static str> {
    const SIGS: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "ZIP archive or Office/ODF document"),
        (b"%PDF-", "PDF document"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "legacy Office (OLE2) document",
        ),
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xFF\xD8\xFF", "JPEG image"),
        (b"GIF8", "GIF image"),
        (b"II*\x00", "TIFF image"),
        (b"MM\x00*", "TIFF image"),
        (b"7z\xBC\xAF\x27\x1C", "7z archive"),
        (b"Rar!\x1A\x07", "RAR archive"),
        (b"\x1F\x8B", "gzip archive"),
    ];
    SIGS.iter()
        .find(|(sig, _)| b.starts_with(sig))
        .map(|(_, name)| *name)
}

/// Decodes a whole in-memory text (a member of an archive, a mail body) in the encoding
/// [`sniff`] finds; invalid bytes become U+FFFD.
pub fn decode_all(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match sniff(bytes) {
        Sniffed::Text {
            encoding: Encoding::Utf8,
            ..
        }
        | Sniffed::Binary { .. } => {
            let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            match simdutf8::basic::from_utf8(b) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(b),
            }
        }
        Sniffed::Text { encoding, .. } => encoding.rs().decode(bytes).0,
    }
}

/// Decodes a byte stream into UTF-8 text chunks.
pub struct TextDecoder<R> {
    reader: R,
    decoder: encoding_rs::Decoder,
    encoding: Encoding,
    buf: Vec<u8>,
    pending: Vec<u8>,
    eof: bool,
    bytes_read: u64,
    first_replacement: Option<u64>,
}

impl<R: Read> TextDecoder<R> {
    /// Starts decoding; `head` is bytes already read from the stream (e.g. for sniffing).
    pub fn new(reader: R, head: Vec<u8>, encoding: Encoding) -> Self {
        Self::with_buffer(reader, head, encoding, Vec::new())
    }

    /// Like [`TextDecoder::new`], reusing `buf` as the read buffer (a scanner of many files keeps
    /// one per thread instead of allocating and zeroing one per file). Get it back with
    /// [`TextDecoder::into_buffer`].
    pub fn with_buffer(reader: R, head: Vec<u8>, encoding: Encoding, mut buf: Vec<u8>) -> Self {
        buf.resize(256 * 1024, 0);
        let decoder = match encoding {
            // Removes a UTF-8 BOM; UTF-16 BOMs were checked by `sniff`.
            Encoding::Utf8 => encoding_rs::UTF_8.new_decoder_with_bom_removal(),
            e => e.rs().new_decoder_with_bom_removal(),
        };
        TextDecoder {
            reader,
            decoder,
            encoding,
            buf,
            pending: head,
            eof: false,
            bytes_read: 0,
            first_replacement: None,
        }
    }

    /// The read buffer, for reuse.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// The encoding being decoded.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Byte offset in the input of the first chunk that held invalid sequences (replaced by U+FFFD).
    pub fn first_replacement(&self) -> Option<u64> {
        self.first_replacement
    }

    /// Appends the next decoded piece to `out`. Returns false at the end of the stream.
    pub fn read_into(&mut self, out: &mut String) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let pending = std::mem::take(&mut self.pending);
        let n = if !pending.is_empty() {
            0
        } else {
            let n = loop {
                match self.reader.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.eof = n == 0;
            n
        };
        // Decode straight from the read buffer: no copy of the input on the way.
        let input: &[u8] = if pending.is_empty() {
            &self.buf[..n]
        } else {
            &pending
        };
        let last = self.eof;
        let need = self
            .decoder
            .max_utf8_buffer_length(input.len())
            .unwrap_or(input.len() * 3 + 16);
        out.reserve(need);
        let (_, read, replaced) = self.decoder.decode_to_string(input, out, last);
        debug_assert_eq!(read, input.len());
        if replaced && self.first_replacement.is_none() {
            self.first_replacement = Some(self.bytes_read);
        }
        self.bytes_read += input.len() as u64;
        Ok(!last || !out.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing out `step` bytes at a time.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn utf8_is_the_same_whatever_the_read_size() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(
            "臺北市政府公告：身分證A123456789，𠀋字"
                .repeat(30)
                .as_bytes(),
        );
        let mut broken = bytes.clone();
        broken.insert(200, 0xFF);
        broken.push(0xE4); // a char cut by the end of the file
        for input in [&bytes, &broken] {
            let lossy =
                String::from_utf8_lossy(input.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap());
            for step in [1, 2, 3, 5, 7, 4096] {
                let mut got = String::new();
                let mut d = TextDecoder::new(Trickle(input, step), Vec::new(), Encoding::Utf8);
                while d.read_into(&mut got).unwrap() {}
                assert_eq!(got, lossy, "step {step}");
                assert_eq!(d.first_replacement().is_some(), input == &broken);
            }
        }
    }

    fn decode_all(bytes: &[u8]) -> (String, Encoding, Option<u64>) {
        let Sniffed::Text { encoding, .. } = sniff(bytes) else {
            panic!("binary")
        };
        let mut d = TextDecoder::new(bytes, Vec::new(), encoding);
        let mut s = String::new();
        while d.read_into(&mut s).unwrap() {}
        (s, encoding, d.first_replacement())
    }

    #[test]
    fn detects_and_decodes() {
        let text = "臺北市政府公告：身分證A123456789";
        assert_eq!(decode_all(text.as_bytes()).0, text);
        let big5 = Encoding::Big5.encode(text);
        let (s, e, r) = decode_all(&big5);
        assert_eq!((s.as_str(), e, r), (text, Encoding::Big5, None));
        let u16 = Encoding::Utf16Le.encode(text);
        assert_eq!(decode_all(&u16).0, text);
        let u16be = Encoding::Utf16Be.encode(text);
        assert_eq!(decode_all(&u16be).0, text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_all(&bom).0, text);
    }

    #[test]
    fn binary_and_invalid_are_reported() {
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x00\x00\xff\xfe"),
            Sniffed::Binary { format: None }
        );
        assert_eq!(
            sniff(b"PK\x03\x04\x14\x00"),
            Sniffed::Binary {
                format: Some("ZIP archive or Office/ODF document")
            }
        );
        // A few NULs in otherwise valid UTF-8 text: still text to inspect.
        let mut padded = "身分證A123456789，".repeat(20).into_bytes();
        padded.push(0);
        assert_eq!(
            sniff(&padded),
            Sniffed::Text {
                encoding: Encoding::Utf8,
                valid: true
            }
        );
        let mut mixed = "中文".as_bytes().to_vec();
        mixed.extend_from_slice(&[0xFF, 0x41, 0x80]);
        assert_eq!(
            sniff(&mixed),
            Sniffed::Text {
                encoding: Encoding::Utf8,
                valid: false
            }
        );
        let (s, _, r) = decode_all(&mixed);
        assert!(s.starts_with("中文") && s.contains('\u{FFFD}'));
        assert_eq!(r, Some(0));
    }
}
