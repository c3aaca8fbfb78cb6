//! Images read by OCR with Tesseract (Debian's `tesseract-ocr` with `tesseract-ocr-chi-tra`), run
//! as a separate process: a crash or a hang in the engine costs one image, never the caller, and
//! the time it may take is capped. When the engine is missing the image is reported as not
//! inspected — an image never passes unread.

use crate::walk::Walk;
use crate::{Format, Origin, Skip};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The OCR engine to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ocr {
    program: Option<PathBuf>,
    languages: String,
}

impl Default for Ocr {
    /// Tesseract from `PATH` with Traditional Chinese and English, when built with the `ocr`
    /// feature; otherwise none.
    fn default() -> Self {
        if cfg!(feature = "ocr") {
            Ocr::tesseract("tesseract")
        } else {
            Ocr::disabled()
        }
    }
}

impl Ocr {
    /// Tesseract at `program` (a path, or a name looked up in `PATH`).
    pub fn tesseract(program: impl Into<PathBuf>) -> Ocr {
        Ocr {
            program: Some(program.into()),
            languages: "chi_tra+eng".into(),
        }
    }

    /// No OCR: images are reported as not inspected.
    pub fn disabled() -> Ocr {
        Ocr {
            program: None,
            languages: String::new(),
        }
    }

    /// Reads the text in `image` (PNG, JPEG, TIFF, GIF, BMP, WebP, PGM), within `timeout`.
    pub fn read(&self, image: &[u8], timeout: Duration) -> Result<String, Skip> {
        self.read_as(image, "3", timeout)
    }

    /// Reads with Tesseract's page segmentation mode `psm` (3: a page, 6: one block).
    fn read_as(&self, image: &[u8], psm: &str, timeout: Duration) -> Result<String, Skip> {
        let Some(program) = &self.program else {
            return Err(Skip::OcrUnavailable("built without OCR".into()));
        };
        let mut child = Command::new(program)
            .args(["stdin", "stdout", "-l", &self.languages, "--psm", psm])
            // One thread per image: the caller already reads files in parallel.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Skip::OcrUnavailable(if e.kind() == std::io::ErrorKind::NotFound {
                    format!("{} is not installed", program.display())
                } else {
                    format!("cannot start {}: {e}", program.display())
                })
            })?;
        let mut stdin = child.stdin.take();
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let (out, err) = std::thread::scope(|s| {
            let data = image;
            s.spawn(move || {
                if let Some(mut i) = stdin.take() {
                    // A closed pipe means the engine gave up; its status says why.
                    let _ = i.write_all(data);
                }
            });
            let o = s.spawn(move || {
                let mut v = vec![];
                if let Some(o) = stdout.as_mut() {
                    let _ = o.read_to_end(&mut v);
                }
                v
            });
            let e = s.spawn(move || {
                let mut v = vec![];
                if let Some(e) = stderr.as_mut() {
                    let _ = e.read_to_end(&mut v);
                }
                v
            });
            let start = Instant::now();
            let status = loop {
                match child.try_wait() {
                    Ok(Some(st)) => break Some(st),
                    Ok(None) if start.elapsed() > timeout => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break None;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                    Err(_) => break None,
                }
            };
            let out = o.join().unwrap_or_default();
            let err = e.join().unwrap_or_default();
            (status.map(|st| (st, out)), err)
        });
        let Some((status, out)) = out else {
            return Err(Skip::OcrTimeout);
        };
        if !status.success() {
            let err = String::from_utf8_lossy(&err);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(if err.contains("Failed loading language") {
                Skip::OcrUnavailable(format!("language data {} is not installed", self.languages))
            } else {
                Skip::Corrupt(format!("OCR engine failed: {last}"))
            });
        }
        Ok(repair_ids(&join_cjk(&String::from_utf8_lossy(&out))))
    }
}

pub(crate) fn extract(w: &mut Walk<'_>, bytes: &[u8], _format: Format, origin: &Origin) {
    let size = match imagesize::blob_size(bytes) {
        Ok(s) => s,
        Err(e) => return w.skip(origin, Skip::Corrupt(format!("image header: {e}"))),
    };
    let (width, height) = (size.width as u64, size.height as u64);
    if width.saturating_mul(height) > w.budget.limits.max_pixels {
        return w.skip(origin, Skip::Pixels { width, height });
    }
    let timeout = w.budget.limits.ocr_timeout;
    match w.ex.ocr.read(bytes, timeout) {
        Ok(text) => w.text(origin, &text, &[]),
        Err(skip) => return w.skip(origin, skip),
    }
    #[cfg(feature = "ocr")]
    if matches!(_format, Format::Png | Format::Jpeg)
        && let Some(layer) = crate::stamp::layer(bytes)
    {
        let here = origin.with(crate::Part::Section(crate::Section::Stamp));
        match w.ex.ocr.read_as(&layer, "6", timeout) {
            Ok(text) => w.text(&here, &text, &[]),
            Err(skip) => w.skip(&here, skip),
        }
    }
}

/// Characters OCR takes for the letter that starts a Taiwanese ID number.
const LOOKALIKES: &[(char, char)] = &[
    ('1', 'I'),
    ('l', 'I'),
    ('|', 'I'),
    ('0', 'O'),
    ('0', 'D'),
    ('0', 'Q'),
    ('8', 'B'),
    ('5', 'S'),
    ('2', 'Z'),
    ('6', 'G'),
    ('4', 'A'),
    ('7', 'T'),
];

/// Words that announce an ID number on the same line.
const ID_CUES: &[&str] = &["身分證", "身份證", "統一編號", "證號", "居留證", "統號"];

/// OCR misreads the letter of an ID number as a digit (`I279100981` as `1279100981`). Where
/// the line announces an ID and the checksum holds with the letter put back, put it back.
fn repair_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !ID_CUES.iter().any(|c| line.contains(c)) {
            out.push_str(line);
            continue;
        }
        let b = line.as_bytes();
        let mut fixed = line.to_string();
        let mut i = 0;
        while i + 10 <= b.len() {
            let word = &b[i..i + 10];
            let bounded = (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                && b.get(i + 10).is_none_or(|c| !c.is_ascii_alphanumeric());
            if bounded
                && word[1..].iter().all(u8::is_ascii_digit)
                && baomi_inspect::checksum::tw_id(word).is_none()
                && let Some(letter) = LOOKALIKES.iter().find_map(|(seen, meant)| {
                    let mut w = word.to_vec();
                    w[0] = *meant as u8;
                    (word[0] == *seen as u8 && baomi_inspect::checksum::tw_id(&w).is_some())
                        .then_some(*meant)
                })
            {
                fixed.replace_range(i..i + 1, letter.encode_utf8(&mut [0; 4]));
                i += 10;
                continue;
            }
            i += 1;
        }
        out.push_str(&fixed);
    }
    out
}

/// Tesseract separates Chinese characters with spaces (`機 密`); a reader does not.
fn join_cjk(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' {
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let before = out.chars().next_back();
            let after = chars.get(j).copied();
            if !(before.is_some_and(is_cjk) && after.is_some_and(is_cjk)) {
                out.extend(&chars[i..j]);
            }
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_between_chinese_characters_go() {
        assert_eq!(join_cjk("機 密 文 件  A123 456"), "機密文件  A123 456");
        assert_eq!(join_cjk("身 分 證 : A123456789"), "身分證 : A123456789");
    }

    #[test]
    fn id_letters_read_as_digits_are_put_back_where_the_line_says_id() {
        assert_eq!(
            repair_ids("身分證統一編號：1279100981\n"),
            "身分證統一編號：I279100981\n"
        );
        // No cue on the line, or a checksum that fails either way: left alone.
        assert_eq!(repair_ids("文號：1279100981\n"), "文號：1279100981\n");
        assert_eq!(repair_ids("身分證：1279100982\n"), "身分證：1279100982\n");
        assert_eq!(repair_ids("身分證：A123456789"), "身分證：A123456789");
    }

    #[test]
    fn a_missing_engine_is_reported_not_passed() {
        let ocr = Ocr::tesseract("/nonexistent/tesseract");
        let e = ocr.read(b"\x89PNG", Duration::from_secs(1)).unwrap_err();
        assert!(
            matches!(e, Skip::OcrUnavailable(ref m) if m.contains("not installed")),
            "{e:?}"
        );
        assert!(matches!(
            Ocr::disabled().read(b"", Duration::from_secs(1)),
            Err(Skip::OcrUnavailable(_))
        ));
    }
}
