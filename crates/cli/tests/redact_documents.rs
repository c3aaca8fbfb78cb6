//! `baomi redact` on documents, with the real binary: masked copies keep every other byte of
//! the package, open in the real LibreOffice (installed by `.ci/setup`), and show no personal
//! data; classified documents are refused; PDF becomes a masked text rendition.

mod common;

use common::baomi;

use baomi_corpus::formats::{self, Extras};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn members(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut v = vec![];
            f.read_to_end(&mut v).unwrap();
            (String::from_utf8_lossy(f.name_raw()).into_owned(), v)
        })
        .collect()
}

const BODY: &str = "陳情書\n陳情人：林小美\n身分證統一編號：A123456789\n聯絡電話：0912-345-678\n住址：臺北市中正區重慶南路一段122號\n";

/// Writes `bytes` as `dir/name` and masks it into `dir/masked-name`, which must succeed.
fn redact(dir: &Path, name: &str, bytes: &[u8]) -> (PathBuf, PathBuf) {
    let input = dir.join(name);
    std::fs::write(&input, bytes).unwrap();
    let masked = dir.join(format!("masked-{name}"));
    let out = baomi(&[
        "redact",
        input.to_str().unwrap(),
        "-o",
        masked.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (input, masked)
}

/// Converts `file` with LibreOffice into format `to`, in `out`; returns the new file.
fn soffice(file: &Path, out: &Path, to: &str) -> PathBuf {
    let status = Command::new("soffice")
        .args(["--headless", "--norestore", "--convert-to", to, "--outdir"])
        .arg(out)
        .arg(file)
        .env("HOME", out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("LibreOffice (installed by .ci/setup)");
    assert!(status.success(), "{}", file.display());
    out.join(file.with_extension(to).file_name().unwrap())
}

/// `baomi scan` findings of `p` as the given JSON fields, sorted; comments left out (they are
/// not printed, so a PDF printed from the document does not have them).
fn findings(p: &Path, fields: &[&str]) -> Vec<String> {
    let out = baomi(&["scan", "--format", "json", p.to_str().unwrap()]);
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["origin"] != "comments")
        .map(|v| {
            fields
                .iter()
                .map(|f| v[*f].to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn word_calc_and_writer_copies_are_masked_in_place_and_open_in_libreoffice() {
    let dir = tempfile::tempdir().unwrap();
    let extras = Extras {
        footer: Some("承辦人電話 02-2345-6789"),
        comment: Some("陳情人身分證 A123456789"),
        ..Extras::default()
    };
    for (name, bytes) in [
        ("陳情.docx", formats::docx(BODY, &extras)),
        ("陳情.odt", formats::odt(BODY, &extras)),
        ("名冊.xlsx", formats::xlsx(BODY, &Extras::default())),
    ] {
        let (input, masked) = redact(dir.path(), name, &bytes);
        let new = std::fs::read(&masked).unwrap();
        // Same members in the same order; only the text parts changed.
        let (before, after) = (members(&bytes), members(&new));
        assert_eq!(
            before.iter().map(|m| &m.0).collect::<Vec<_>>(),
            after.iter().map(|m| &m.0).collect::<Vec<_>>(),
            "{name}"
        );
        let changed: Vec<&str> = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| b.1 != a.1)
            .map(|(b, _)| b.0.as_str())
            .collect();
        assert!(
            !changed.is_empty() && changed.iter().all(|n| n.ends_with(".xml")),
            "{name}: {changed:?}"
        );
        // Nothing personal left for the scanner.
        let scan = baomi(&["scan", "--format", "json", masked.to_str().unwrap()]);
        assert_eq!(
            scan.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&scan.stdout)
        );
        // LibreOffice opens it, and what it renders is the masked text.
        let pdf = soffice(&masked, dir.path(), "pdf");
        let text = baomi(&["redact", pdf.to_str().unwrap()]);
        let shown = String::from_utf8_lossy(&text.stdout);
        assert!(shown.contains("A12345****"), "{name}: {shown}");
        assert!(!shown.contains("A123456789"), "{name}: {shown}");
        // The original as LibreOffice prints it to PDF: the PDF's text layer finds what the
        // document shows on paper.
        let pdf = soffice(&input, dir.path(), "pdf");
        assert_eq!(
            findings(&input, &["kind"]),
            findings(&pdf, &["kind"]),
            "{name}"
        );
    }
}

#[test]
fn classified_documents_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.docx");
    let extras = Extras {
        header: Some("機密（限閱）"),
        ..Extras::default()
    };
    std::fs::write(&input, formats::docx(BODY, &extras)).unwrap();
    let masked = dir.path().join("b.docx");
    let out = baomi(&[
        "redact",
        input.to_str().unwrap(),
        "-o",
        masked.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a.docx > header") && err.contains("classification marking"),
        "{err}"
    );
    assert!(!masked.exists());
}

#[test]
fn pdf_becomes_a_masked_text_rendition_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.pdf");
    std::fs::write(&input, formats::pdf(BODY)).unwrap();
    let out = baomi(&["redact", input.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("=== page 1 ===") && text.contains("A12345****"),
        "{text}"
    );
    assert!(!text.contains("A123456789"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("masked text rendition"));
}

#[test]
fn mail_copies_mask_headers_bodies_attachments_and_attached_messages() {
    let dir = tempfile::tempdir().unwrap();
    let docx = formats::docx(BODY, &Extras::default());
    let inner = formats::eml("轉寄：檢舉人身分證 B234567890，電話 02-2345-6789", &[]);
    let mail = formats::eml(
        BODY,
        &[
            ("陳情.docx", &docx),
            ("轉寄.eml", &inner),
            ("說明.txt", "無個資".as_bytes()),
        ],
    );
    let (input, masked) = redact(dir.path(), "m.eml", &mail);
    // Read back by the scanner: every part is there, nothing personal is left.
    let scan = baomi(&["scan", "--format", "json", masked.to_str().unwrap()]);
    assert_eq!(
        scan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&scan.stdout)
    );
    let original: Vec<String> = String::from_utf8_lossy(
        &baomi(&["scan", "--format", "json", input.to_str().unwrap()]).stdout,
    )
    .lines()
    .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["origin"].to_string())
    .collect();
    for o in [
        "\"body\"",
        "\"陳情.docx > body\"",
        "\"轉寄.eml > body\"",
        "\"mail headers\"",
    ] {
        assert!(
            original.iter().any(|x| x == o),
            "the original has findings in {o}: {original:?}"
        );
    }
    // The untouched attachment is byte for byte the same; the Word attachment still opens.
    let new = std::fs::read(&masked).unwrap();
    let text = String::from_utf8_lossy(&new);
    use base64::Engine as _;
    let kept = base64::engine::general_purpose::STANDARD.encode("無個資".as_bytes());
    assert!(text.contains(&kept), "說明.txt kept as it was");
    let redacted = baomi(&["redact", masked.to_str().unwrap()]);
    assert!(
        redacted.status.success(),
        "a masked copy masks again without change"
    );
}

/// Word 97–2003: LibreOffice saves our document as `.doc`; the extractor reads the same text.
#[test]
fn legacy_word_documents_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let extras = Extras {
        header: Some("機密（限閱）"),
        ..Extras::default()
    };
    let docx = dir.path().join("舊檔.docx");
    std::fs::write(&docx, formats::docx(BODY, &extras)).unwrap();
    let doc = soffice(&docx, dir.path(), "doc");
    let (a, b) = (
        findings(&docx, &["origin", "kind"]),
        findings(&doc, &["origin", "kind"]),
    );
    assert!(
        a.iter()
            .any(|l| l.contains("header") && l.contains("classification")),
        "{a:?}"
    );
    assert_eq!(a, b, "the .doc says what the .docx says, part by part");

    // Excel 97-2003, big enough that the shared strings run on across CONTINUE records.
    let text: String = baomi_corpus::generate(3, 150)
        .into_iter()
        .map(|d| d.text)
        .collect();
    let xlsx = dir.path().join("名冊.xlsx");
    std::fs::write(&xlsx, formats::xlsx(&text, &Extras::default())).unwrap();
    let xls = soffice(&xlsx, dir.path(), "xls");
    assert!(
        std::fs::metadata(&xls).unwrap().len() > 64 << 10,
        "large enough to need CONTINUE records"
    );
    let cells = |p: &Path| findings(p, &["origin", "cell", "kind", "masked"]);
    let (a, b) = (cells(&xlsx), cells(&xls));
    assert!(a.len() > 300, "{}", a.len());
    assert_eq!(a, b, "the .xls says what the .xlsx says, cell by cell");
}
