//! Hostile and broken input: every limit hit is reported as "not inspected: reason", quickly,
//! and never takes the rest of the input down with it.

mod common;

use baomi_corpus::formats::{self, Extras, zip_of};
use baomi_extract::{Limits, Ocr, Skip};
use common::{extract, extract_with, replace_member};
use std::time::{Duration, Instant};

fn deflated(name: &str, data: &[u8]) -> Vec<u8> {
    zip_of(&[(name, data)])
}

#[test]
fn zip_bomb_stops_at_the_compression_ratio() {
    let zeros = vec![0u8; 64 << 20];
    let bomb = zip_of(&[
        ("ok.txt", "身分證 A123456789".as_bytes()),
        ("bomb.txt", &zeros),
    ]);
    assert!(bomb.len() < 1 << 20);
    let t = Instant::now();
    let g = extract(&bomb, "bomb.zip");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(g.all().contains("A123456789"), "the rest is still read");
    assert_eq!(g.skips.len(), 1, "{:?}", g.skips);
    assert_eq!(g.skips[0].0, "bomb.txt");
    assert!(matches!(g.skips[0].1, Skip::Ratio { limit: 200 }));
}

#[test]
fn nested_archives_stop_at_the_depth_and_the_total() {
    let mut z = deflated("x.txt", "A123456789".as_bytes());
    for i in 0..12 {
        z = deflated(&format!("level{i}.zip"), &z);
    }
    let g = extract(&z, "deep.zip");
    assert!(
        matches!(g.skips.as_slice(), [(_, Skip::Depth { limit: 8 })]),
        "{:?}",
        g.skips
    );
    // Many small members that add up: the total budget holds across nesting.
    let chunk = vec![b'a'; 300 << 10];
    let inner = zip_of(&[("a", &chunk), ("b", &chunk), ("c", &chunk)]);
    let outer = zip_of(&[("1.zip", &inner), ("2.zip", &inner), ("3.zip", &inner)]);
    let limits = Limits {
        max_total: 2 << 20,
        ..Limits::default()
    };
    let g = extract_with(&outer, "o.zip", limits, Ocr::disabled());
    assert!(
        g.skips
            .iter()
            .any(|(_, s)| matches!(s, Skip::TooLarge { .. })),
        "{:?}",
        g.skips
    );
}

#[test]
fn member_count_is_capped_and_said_once() {
    let names: Vec<String> = (0..20).map(|i| format!("{i}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let z = zip_of(&members);
    let limits = Limits {
        max_members: 5,
        ..Limits::default()
    };
    let g = extract_with(&z, "many.zip", limits, Ocr::disabled());
    assert_eq!(g.texts.len(), 5);
    assert_eq!(g.skips, vec![(String::new(), Skip::Members { limit: 5 })]);
}

#[test]
fn billion_laughs_is_not_expanded() {
    let mut dtd = String::from("<!DOCTYPE w:document [<!ENTITY l0 \"lol\">");
    for i in 1..10 {
        let prev = format!("&l{};", i - 1).repeat(10);
        dtd.push_str(&format!("<!ENTITY l{i} \"{prev}\">"));
    }
    dtd.push_str("]>");
    let doc = format!(
        "<?xml version=\"1.0\"?>{dtd}<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>機密 &l9;</w:t></w:r></w:p></w:body></w:document>"
    );
    let good = formats::docx("x", &Extras::default());
    let bad = replace_member(&good, "word/document.xml", doc.as_bytes());
    let t = Instant::now();
    let g = extract(&bad, "laughs.docx");
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(g.at("body").contains("機密"));
    assert!(!g.all().contains("lol"));
    assert!(
        g.skips
            .iter()
            .any(|(o, s)| o == "body" && *s == Skip::XmlEntities),
        "{:?}",
        g.skips
    );
}

#[test]
fn deep_xml_stops_at_the_depth() {
    let doc = format!(
        "<w:document xmlns:w=\"w\"><w:body>{}<w:t>x</w:t>{}</w:body></w:document>",
        "<w:p>".repeat(100_000),
        "</w:p>".repeat(100_000)
    );
    let bad = replace_member(
        &formats::docx("x", &Extras::default()),
        "word/document.xml",
        doc.as_bytes(),
    );
    // So repetitive that it is also a compression-ratio hit; the depth is what this is about.
    let limits = Limits {
        max_ratio: 100_000,
        ..Limits::default()
    };
    let g = extract_with(&bad, "deep.docx", limits, Ocr::disabled());
    assert!(
        g.skips
            .iter()
            .any(|(_, s)| matches!(s, Skip::Depth { limit: 512 })),
        "{:?}",
        g.skips
    );
}

#[test]
fn truncated_documents_are_damaged_not_fatal() {
    for (name, bytes) in [
        (
            "a.docx",
            formats::docx("陳情人：林小美", &Extras::default()),
        ),
        ("a.odt", formats::odt("陳情人：林小美", &Extras::default())),
        (
            "a.eml",
            formats::eml(
                "A123456789",
                &[("b.docx", &formats::docx("x", &Extras::default()))],
            ),
        ),
    ] {
        for cut in [10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 30] {
            let g = extract(&bytes[..cut], name);
            assert!(
                !g.skips.is_empty() || !g.texts.is_empty(),
                "{name} cut at {cut}: something is always said"
            );
            if name != "a.eml" {
                assert!(
                    g.skips.iter().any(|(_, s)| matches!(s, Skip::Corrupt(_))),
                    "{name} cut at {cut}: {:?}",
                    g.skips
                );
            }
        }
    }
}

#[test]
fn encrypted_members_and_packages_are_said_to_be_encrypted() {
    let mut z = zip_of(&[("secret.txt", b"A123456789")]);
    // Set "encrypted" in the local and the central header.
    for sig in [&b"PK\x03\x04"[..], b"PK\x01\x02"] {
        let at = z.windows(4).position(|w| w == sig).unwrap();
        let flag = at + if sig[2] == 3 { 6 } else { 8 };
        z[flag] |= 1;
    }
    let g = extract(&z, "enc.zip");
    assert_eq!(g.skips, vec![("secret.txt".to_string(), Skip::Encrypted)]);
    let odt = formats::odt("x", &Extras::default());
    let manifest = "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"><manifest:file-entry manifest:full-path=\"content.xml\"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>";
    let enc = replace_member(&odt, "META-INF/manifest.xml", manifest.as_bytes());
    let g = extract(&enc, "enc.odt");
    assert_eq!(g.skips, vec![(String::new(), Skip::Encrypted)]);
    assert!(g.texts.is_empty());
}

#[test]
fn huge_images_are_refused_before_decoding() {
    let png = png_header(30_000, 30_000);
    let g = extract_with(
        &png,
        "big.png",
        Limits::default(),
        Ocr::tesseract("/nonexistent"),
    );
    assert_eq!(
        g.skips,
        vec![(
            String::new(),
            Skip::Pixels {
                width: 30_000,
                height: 30_000
            }
        )]
    );
    // Inside a document, the same.
    let z = zip_of(&[("scan.png", &png)]);
    let g = extract(&z, "photos.zip");
    assert!(matches!(g.skips.as_slice(), [(o, Skip::Pixels { .. })] if o == "scan.png"));
}

#[test]
fn images_without_an_engine_are_not_inspected() {
    let png = png_header(100, 100);
    for ocr in [Ocr::disabled(), Ocr::tesseract("/nonexistent/tesseract")] {
        let g = extract_with(&png, "p.png", Limits::default(), ocr);
        assert!(
            matches!(g.skips.as_slice(), [(_, Skip::OcrUnavailable(_))]),
            "{:?}",
            g.skips
        );
    }
}

#[test]
fn garbage_and_unknown_formats_are_reported() {
    let g = extract(b"\x00\x01\x02\x03\xFF\xFE\x00\x00garbage\x00", "x.bin");
    assert!(matches!(g.skips.as_slice(), [(_, Skip::Unsupported(_))]));
    let g = extract(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", "old.doc");
    assert!(matches!(g.skips.as_slice(), [(_, Skip::Corrupt(m))] if m.contains("OLE2")));
    let g = extract(b"PK\x03\x04not really", "x.zip");
    assert!(matches!(g.skips.as_slice(), [(_, Skip::Corrupt(_))]));
    let limits = Limits {
        max_input: 10,
        ..Limits::default()
    };
    let g = extract_with(b"0123456789ABCDEF", "x.txt", limits, Ocr::disabled());
    assert_eq!(g.skips, vec![(String::new(), Skip::TooLarge { limit: 10 })]);
}

/// A PNG signature and header chunk claiming this size (enough for a size check).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    v.extend_from_slice(&w.to_be_bytes());
    v.extend_from_slice(&h.to_be_bytes());
    v.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    v
}

#[test]
fn cyclic_pdf_page_tree_ends() {
    let pdf = formats::cyclic_pdf("身分證 A123456789");
    let t = Instant::now();
    let g = extract(&pdf, "cyclic.pdf");
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(g.at("page 1"), "身分證 A123456789\n", "{g:?}");
    assert!(g.skips.is_empty(), "{:?}", g.skips);
}

#[test]
fn truncated_and_broken_pdfs_are_damaged_not_fatal() {
    let pdf = formats::pdf("陳情人：林小美\n身分證：A123456789");
    for cut in [8, pdf.len() / 3, pdf.len() / 2, pdf.len() - 10] {
        let g = extract(&pdf[..cut], "cut.pdf");
        assert!(
            !g.skips.is_empty() || g.all().contains("A123456789"),
            "cut at {cut}: {g:?}"
        );
    }
}

#[test]
fn a_page_without_text_or_images_has_no_text_layer() {
    let jpeg_free = formats::scanned_pdf(b"not a jpeg", 10, 10);
    // The "image" is not a JPEG: reported as damaged, never as clean.
    let g = extract(&jpeg_free, "scan.pdf");
    assert!(!g.skips.is_empty(), "{g:?}");
    assert!(
        g.skips.iter().all(|(o, _)| o.starts_with("page 1")),
        "{:?}",
        g.skips
    );
}

#[test]
fn seven_zip_bombs_stop_at_the_ratio_and_damage_is_reported() {
    // Small enough to write quickly in a debug build; the ratio is what trips.
    let zeros = vec![0u8; 4 << 20];
    let bomb = formats::sevenz_of(&[
        ("ok.txt", "身分證 A123456789".as_bytes()),
        ("zeros.bin", &zeros),
    ]);
    assert!(bomb.len() < 1 << 20);
    let t = Instant::now();
    let g = extract(&bomb, "bomb.7z");
    assert!(t.elapsed() < Duration::from_secs(10));
    assert!(g.all().contains("A123456789"), "{g:?}");
    assert!(
        matches!(g.skips.as_slice(), [(o, Skip::Ratio { .. })] if o == "zeros.bin"),
        "{:?}",
        g.skips
    );
    let good = formats::sevenz_of(&[("a.txt", "A123456789".as_bytes())]);
    for cut in [8, good.len() / 2, good.len() - 4] {
        let g = extract(&good[..cut], "cut.7z");
        assert!(
            !g.skips.is_empty() || g.all().contains("A123456789"),
            "cut at {cut}: {g:?}"
        );
    }
}
