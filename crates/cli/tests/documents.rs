//! `baomi scan` on the documents agencies exchange, with the real binary: findings name where
//! they are inside the file, hostile files are reported as not inspected, photographed pages are
//! read by the real Tesseract (installed by `.ci/setup`).

mod common;

use common::{baomi, json_lines, write};

use baomi_corpus::formats::{self, Extras};
use std::process::Command;

const BODY: &str = "陳情書\n陳情人：林小美\n身分證統一編號：A123456789\n";

#[test]
fn findings_inside_documents_name_their_part_and_cell() {
    let dir = tempfile::tempdir().unwrap();
    let extras = Extras {
        header: Some("機密（限閱）"),
        ..Extras::default()
    };
    let docx = formats::docx(BODY, &extras);
    let mail = formats::eml("請查收。", &[("會議資料.docx", &docx)]);
    let m = write(dir.path(), "轉寄.eml", &mail);
    let x = write(
        dir.path(),
        "名冊.xlsx",
        &formats::xlsx(BODY, &Extras::default()),
    );
    let out = baomi(&["scan", "--format", "json", &m, &x]);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let marking = lines
        .iter()
        .find(|l| l["kind"] == "classification")
        .expect("the header's marking");
    assert_eq!(marking["origin"], "會議資料.docx > header");
    assert_eq!(marking["level"], "機密");
    let id = lines
        .iter()
        .find(|l| l["kind"] == "tw_national_id" && l["path"] == x.as_str())
        .expect("the ID in the sheet");
    assert_eq!(id["origin"], "sheet 名冊");
    assert_eq!(id["cell"], "A3");
    // Text output names the same place.
    let text = String::from_utf8(baomi(&["scan", &x]).stdout).unwrap();
    assert!(text.contains("名冊.xlsx > sheet 名冊 > A3:3:"), "{text}");
    // A classified attachment blocks a chat message.
    let out = baomi(&["scan", "--format", "json", "--channel", "chat", &m]);
    let d = json_lines(&out)
        .into_iter()
        .find(|l| l["type"] == "decision")
        .unwrap();
    assert_eq!(d["action"], "block");
}

#[test]
fn hostile_documents_are_not_inspected_and_chat_blocks_them() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 32 << 20];
    let bomb = write(
        dir.path(),
        "bomb.zip",
        &formats::zip_of(&[("zeros.bin", &zeros)]),
    );
    let truncated = formats::docx(BODY, &Extras::default());
    let cut = write(dir.path(), "cut.docx", &truncated[..truncated.len() / 2]);
    for p in [&bomb, &cut] {
        let out = baomi(&["scan", "--format", "json", "--channel", "chat", p]);
        assert_eq!(out.status.code(), Some(1), "{p}: never a clean pass");
        let lines = json_lines(&out);
        assert!(
            lines.iter().any(|l| l["kind"] == "not_inspected"),
            "{p}: {lines:?}"
        );
        let d = lines.iter().find(|l| l["type"] == "decision").unwrap();
        assert_eq!(d["action"], "block", "{p}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not inspected"));
    }
}

/// A page photographed at a slight angle, blurred and noisy, with a red framed 機密 stamp: read
/// by the real Tesseract, the ID on the page and the stamp are both found.
#[test]
fn photographed_page_with_stamp_and_id_is_read_by_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let font = Command::new("fc-match")
        .args(["-f", "%{file}", "Noto Sans CJK TC"])
        .output()
        .expect("fontconfig (installed by .ci/setup)");
    let font = String::from_utf8(font.stdout).unwrap();
    assert!(
        font.contains("CJK"),
        "fonts-noto-cjk (installed by .ci/setup): {font}"
    );
    let page = dir.path().join("page.jpg");
    let ok = Command::new("convert")
        .args([
            "-size",
            "1600x420",
            "xc:white",
            "-font",
            &font,
            "-pointsize",
            "34",
        ])
        .args(["-fill", "black", "-annotate", "+60+170", BODY])
        .args(["-stroke", "red", "-strokewidth", "5", "-fill", "none"])
        .args(["-draw", "rectangle 1180,30 1520,140", "-stroke", "none"])
        .args([
            "-fill",
            "red",
            "-pointsize",
            "72",
            "-annotate",
            "+1240+115",
            "機密",
        ])
        .args(["-background", "white", "-rotate", "1.5", "-blur", "0x0.8"])
        .args(["-attenuate", "0.25", "+noise", "Gaussian", "-quality", "85"])
        .arg(&page)
        .status()
        .expect("ImageMagick (installed by .ci/setup)");
    assert!(ok.success());
    let out = baomi(&["scan", "--format", "json", page.to_str().unwrap()]);
    let lines = json_lines(&out);
    assert!(
        lines.iter().all(|l| l["kind"] != "not_inspected"),
        "tesseract-ocr and tesseract-ocr-chi-tra (installed by .ci/setup): {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l["kind"] == "tw_national_id"),
        "{lines:?}"
    );
    let stamp = lines
        .iter()
        .find(|l| l["kind"] == "classification")
        .unwrap_or_else(|| panic!("the stamp: {lines:?}"));
    assert_eq!(stamp["origin"], "stamp");
    // The same photo as a scanned PDF page: no text layer, so its image is read.
    let jpeg = std::fs::read(&page).unwrap();
    let scan = write(
        dir.path(),
        "scan.pdf",
        &formats::scanned_pdf(&jpeg, 1600, 420),
    );
    let lines = json_lines(&baomi(&["scan", "--format", "json", &scan]));
    let id = lines
        .iter()
        .find(|l| l["kind"] == "tw_national_id")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(id["origin"], "page 1 > Im1");
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "classification" && l["origin"] == "page 1 > Im1 > stamp")
    );
    // Without OCR the same photo is not inspected, never clean.
    let out = baomi(&[
        "scan",
        "--format",
        "json",
        "--no-ocr",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["kind"], "not_inspected");
}
