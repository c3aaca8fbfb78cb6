use super::*;
use baomi_extract::{Event, Extractor};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

const MARK: &str = "王小明 資訊室 2026-11-28 09:30 下載 A7-0BEEF";

/// Text our own extractor reads from `bytes`, page by page, plus what it skipped.
fn text_of(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut texts, mut skipped) = (vec![], vec![]);
    Extractor::default().extract(bytes, Some("x.pdf"), &mut |e| match e {
        Event::Text(s) => texts.push(s.text.to_string()),
        Event::Skipped { origin, skip } => skipped.push(format!("{origin}: {skip}")),
    });
    (texts, skipped)
}

/// Two pages: one inheriting its resources and MediaBox from the page tree, one with its own;
/// each draws a line of Latin text.
fn two_page_pdf() -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let content = |t: &str| {
        Stream::new(
            Dictionary::new(),
            format!("BT /F1 18 Tf 72 700 Td ({t}) Tj ET").into_bytes(),
        )
    };
    let c1 = doc.add_object(content("Quarterly report one"));
    let c2 = doc.add_object(content("Quarterly report two"));
    let p1 = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => c1,
    });
    let p2 = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => vec![Object::Reference(c2)],
        "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), 842.into(), 595.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![p1.into(), p2.into()],
            "Count" => 2,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = vec![];
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn every_pdf_page_carries_the_mark_and_keeps_its_text() {
    let original = two_page_pdf();
    let (before, _) = text_of(&original);
    assert!(before.iter().all(|t| !t.contains("王小明")));
    let (marked, outcome) = Marker::new(None).apply(original, MARK);
    assert_eq!(outcome, Outcome::Marked);
    let (pages, skipped) = text_of(&marked);
    assert!(skipped.is_empty(), "{skipped:?}");
    let all = pages.join("\n");
    for own in ["Quarterly report one", "Quarterly report two"] {
        assert!(all.contains(own), "{own} lost: {all}");
    }
    // The mark is text a reader can copy and search, on both pages, many times.
    assert!(all.matches("王小明").count() >= 2 * 10, "{all}");
    assert!(all.contains("A7-0BEEF"));
    let doc = Document::load_mem(&marked).unwrap();
    for (_, page) in doc.get_pages() {
        let content = String::from_utf8_lossy(&doc.get_page_content(page).unwrap()).to_string();
        assert!(content.starts_with("q\n"), "{content}");
        assert!(content.ends_with("Q\nq /BaomiMark Do Q\n"), "{content}");
    }
}

#[test]
fn damaged_and_foreign_files_go_out_unchanged_and_say_so() {
    let m = Marker::new(None);
    let (out, outcome) = m.apply(b"%PDF-1.7 truncated".to_vec(), MARK);
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    assert_eq!(out, b"%PDF-1.7 truncated");
    let docx = b"PK\x03\x04 not an image".to_vec();
    assert_eq!(m.apply(docx.clone(), MARK), (docx, Outcome::NotMarkable));
    let nofont = Marker::new(Some(Path::new("/nonexistent/font.ttc")));
    let png = png_page(64, 64, [255, 255, 255]);
    assert_eq!(nofont.apply(png.clone(), MARK), (png, Outcome::NoFont));
}

fn png_page(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(vec![]);
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// Share of pixels that differ from `bg` by more than a little.
fn marked_share(bytes: &[u8], bg: [u8; 3]) -> f64 {
    let img = image::load_from_memory(bytes).unwrap().to_rgb8();
    let changed = img
        .pixels()
        .filter(|p| (0..3).any(|i| (i32::from(p[i]) - i32::from(bg[i])).abs() > 12))
        .count();
    changed as f64 / f64::from(img.width() * img.height())
}

#[test]
fn images_are_marked_all_over_on_light_and_dark_backgrounds() {
    let m = Marker::new(None);
    if m.font_path().is_none() {
        // CI installs fonts-noto-cjk; a machine without a CJK font is the NoFont case above.
        eprintln!("no CJK font here: skipped");
        return;
    }
    for bg in [[255, 255, 255], [20, 20, 30]] {
        let (out, outcome) = m.apply(png_page(800, 600, bg), MARK);
        assert_eq!(outcome, Outcome::Marked);
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (800, 600));
        let share = marked_share(&out, bg);
        assert!((0.03..0.5).contains(&share), "{share}");
        // Every quarter of the picture carries ink: the mark tiles, it is not one corner label.
        let rgb = img.to_rgb8();
        for (qx, qy) in [(0, 0), (400, 0), (0, 300), (400, 300)] {
            let inked = (qx..qx + 400)
                .flat_map(|x| (qy..qy + 300).map(move |y| (x, y)))
                .filter(|&(x, y)| {
                    let p = rgb.get_pixel(x, y);
                    (0..3).any(|i| (i32::from(p[i]) - i32::from(bg[i])).abs() > 12)
                })
                .count();
            assert!(inked > 2_000, "quarter at {qx},{qy}: {inked}");
        }
    }
    // JPEG stays JPEG.
    let jpeg = {
        let img = image::RgbImage::from_pixel(640, 480, image::Rgb([250, 250, 245]));
        let mut out = std::io::Cursor::new(vec![]);
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .unwrap();
        out.into_inner()
    };
    let (out, outcome) = m.apply(jpeg, MARK);
    assert_eq!(outcome, Outcome::Marked);
    assert_eq!(image::guess_format(&out).unwrap(), image::ImageFormat::Jpeg);
    assert!(marked_share(&out, [250, 250, 245]) > 0.03);
}

#[test]
fn an_oversized_image_is_refused_not_decoded() {
    let m = Marker::new(None);
    if m.font_path().is_none() {
        return;
    }
    // A PNG header claiming 100,000 x 100,000 pixels.
    let mut png = png_page(1, 1, [0, 0, 0]);
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let (out, outcome) = m.apply(png.clone(), MARK);
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    assert_eq!(out, png);
}
