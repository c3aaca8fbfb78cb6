//! What a file is, from its content first and its name second: a `.txt` that is really a zip is
//! opened as a zip, and a renamed `.docx` is still read as Word.

/// Formats the extractor tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text (UTF-8, UTF-16, Big5).
    Text,
    /// E-mail message (RFC 5322 / MIME).
    Eml,
    /// HTML page.
    Html,
    /// ZIP archive (refined to an Office or ODF document once opened).
    Zip,
    /// Word (OOXML).
    Docx,
    /// Excel (OOXML).
    Xlsx,
    /// PowerPoint (OOXML).
    Pptx,
    /// OpenDocument text.
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// OpenDocument presentation.
    Odp,
    /// PDF.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// TIFF image.
    Tiff,
    /// GIF image.
    Gif,
    /// BMP image.
    Bmp,
    /// WebP image.
    Webp,
    /// Legacy Office (OLE2: .doc, .xls, .ppt, or an encrypted OOXML file).
    Ole2,
    /// 7-Zip archive.
    SevenZip,
    /// RAR archive.
    Rar,
    /// gzip stream.
    Gzip,
    /// Binary data of no known format.
    Binary,
}

impl Format {
    /// Short stable name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Eml => "eml",
            Format::Html => "html",
            Format::Zip => "zip",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Pptx => "pptx",
            Format::Odt => "odt",
            Format::Ods => "ods",
            Format::Odp => "odp",
            Format::Pdf => "pdf",
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::Tiff => "tiff",
            Format::Gif => "gif",
            Format::Bmp => "bmp",
            Format::Webp => "webp",
            Format::Ole2 => "ole2",
            Format::SevenZip => "7z",
            Format::Rar => "rar",
            Format::Gzip => "gzip",
            Format::Binary => "binary",
        }
    }

    /// Whether this is an image (read by OCR).
    pub fn is_image(self) -> bool {
        matches!(
            self,
            Format::Png | Format::Jpeg | Format::Tiff | Format::Gif | Format::Bmp | Format::Webp
        )
    }
}

/// Decides the format of `bytes` (`name` only breaks ties between text formats).
pub fn detect(bytes: &[u8], name: Option<&str>) -> Format {
    const SIGS: &[(&[u8], Format)] = &[
        (b"PK\x03\x04", Format::Zip),
        (b"PK\x05\x06", Format::Zip),
        (b"%PDF-", Format::Pdf),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", Format::Ole2),
        (b"\x89PNG\r\n\x1a\n", Format::Png),
        (b"\xFF\xD8\xFF", Format::Jpeg),
        (b"GIF87a", Format::Gif),
        (b"GIF89a", Format::Gif),
        (b"II*\x00", Format::Tiff),
        (b"MM\x00*", Format::Tiff),
        (b"BM", Format::Bmp),
        (b"7z\xBC\xAF\x27\x1C", Format::SevenZip),
        (b"Rar!\x1A\x07", Format::Rar),
        (b"\x1F\x8B", Format::Gzip),
    ];
    if let Some((_, f)) = SIGS.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        // "BM" alone is too weak: a text file may start with it.
        if *f != Format::Bmp || (bytes.len() > 26 && bytes[14..18] != [0, 0, 0, 0]) {
            return *f;
        }
    }
    if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Format::Webp;
    }
    // A PDF may start after up to 1 KiB of junk (the spec allows readers to tolerate it).
    if memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some() {
        return Format::Pdf;
    }
    match crate::decode::sniff(bytes) {
        crate::Sniffed::Binary { .. } => Format::Binary,
        crate::Sniffed::Text { .. } => text_kind(bytes, name),
    }
}

fn text_kind(bytes: &[u8], name: Option<&str>) -> Format {
    let ext = name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    let head = &bytes[..bytes.len().min(4096)];
    let trimmed = head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .trim_ascii_start();
    let lower: Vec<u8> = trimmed
        .iter()
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || matches!(ext.as_deref(), Some("html" | "htm" | "xhtml"))
    {
        return Format::Html;
    }
    if matches!(ext.as_deref(), Some("eml" | "msg" | "mht" | "mhtml")) || looks_like_mail(head) {
        return Format::Eml;
    }
    Format::Text
}

/// A message starts with a block of header fields, some of which every mailer writes.
fn looks_like_mail(head: &[u8]) -> bool {
    const FIELDS: &[&[u8]] = &[
        b"from:",
        b"to:",
        b"subject:",
        b"date:",
        b"mime-version:",
        b"message-id:",
        b"received:",
        b"return-path:",
        b"content-type:",
    ];
    let mut known = 0;
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            return false;
        };
        let field = &line[..=colon];
        if field.contains(&b' ') {
            return false;
        }
        let lower = field.to_ascii_lowercase();
        if FIELDS.contains(&lower.as_slice()) {
            known += 1;
        }
    }
    known >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_before_the_name() {
        assert_eq!(detect(b"PK\x03\x04rest", Some("x.txt")), Format::Zip);
        assert_eq!(detect(b"%PDF-1.7\n", None), Format::Pdf);
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n....", None), Format::Png);
        assert_eq!(detect(b"BMW is a car", None), Format::Text);
        assert_eq!(
            detect(b"<!DOCTYPE html><p>hi</p>", Some("a.txt")),
            Format::Html
        );
        assert_eq!(
            detect(
                b"From: a@b.tw\r\nTo: c@d.tw\r\nSubject: x\r\n\r\nbody",
                None
            ),
            Format::Eml
        );
        assert_eq!(detect("陳情人：王小明\n".as_bytes(), None), Format::Text);
        assert_eq!(
            detect(b"Note: this is not mail\nTo: whom\n", None),
            Format::Text
        );
        assert_eq!(
            detect(b"\x00\x01\x02\x03binary\x00\x00", None),
            Format::Binary
        );
    }
}
