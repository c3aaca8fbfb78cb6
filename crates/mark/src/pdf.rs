//! Marks over PDF pages: a form XObject per page drawing the text in rows rotated 30°, behind a
//! transparency state, wrapped so that the page's own drawing state cannot leak into it.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

/// Pages marked at most: beyond this a PDF is refused rather than rewritten for minutes.
const MAX_PAGES: usize = 2_000;

pub(super) fn mark(bytes: &[u8], text: &str) -> Result<Vec<u8>, String> {
    let mut doc = Document::load_mem(bytes).map_err(|e| e.to_string())?;
    if doc.is_encrypted() {
        return Err("encrypted PDF".into());
    }
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if pages.is_empty() {
        return Err("PDF without pages".into());
    }
    if pages.len() > MAX_PAGES {
        return Err(format!("more than {MAX_PAGES} pages"));
    }
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => "MSung-Light",
        "Flags" => 6,
        "FontBBox" => vec![(-160).into(), (-249).into(), 1015.into(), 888.into()],
        "ItalicAngle" => 0,
        "Ascent" => 880,
        "Descent" => -120,
        "CapHeight" => 880,
        "StemV" => 93,
    });
    let cid = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType0",
        "BaseFont" => "MSung-Light",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("CNS1"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
    });
    let to_unicode = doc.add_object(Stream::new(Dictionary::new(), to_unicode(text)));
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "MSung-Light",
        "Encoding" => "UniCNS-UCS2-H",
        "DescendantFonts" => vec![Object::Reference(cid)],
        "ToUnicode" => to_unicode,
    });
    let gs = doc.add_object(dictionary! { "Type" => "ExtGState", "ca" => 0.22, "CA" => 0.22 });
    let open = doc.add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()));
    for page in pages {
        let bbox = media_box(&doc, page);
        let form = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => bbox.iter().map(|v| Object::Real(*v)).collect::<Vec<_>>(),
                "Resources" => dictionary! {
                    "Font" => dictionary! { "BaomiF" => font },
                    "ExtGState" => dictionary! { "BaomiG" => gs },
                },
            },
            rows(bbox, text),
        ));
        let close = doc.add_object(Stream::new(
            Dictionary::new(),
            b"Q\nq /BaomiMark Do Q\n".to_vec(),
        ));
        let mut resources = effective_resources(&doc, page);
        let mut xobjects = match resources.get(b"XObject") {
            Ok(Object::Reference(id)) => doc.get_dictionary(*id).cloned().unwrap_or_default(),
            Ok(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        xobjects.set("BaomiMark", Object::Reference(form));
        resources.set("XObject", xobjects);
        let mut contents = vec![Object::Reference(open)];
        contents.extend(
            doc.get_page_contents(page)
                .into_iter()
                .map(Object::Reference),
        );
        contents.push(Object::Reference(close));
        let dict = doc
            .get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .map_err(|e| e.to_string())?;
        dict.set("Resources", resources);
        dict.set("Contents", contents);
    }
    let mut out = Vec::with_capacity(bytes.len() + 4096);
    doc.save_to(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The text's codes are UCS-2 already: a ToUnicode map saying so lets readers (and our own
/// extractor) copy the mark out as text, so a leaked PDF's mark can be searched for.
fn to_unicode(text: &str) -> Vec<u8> {
    let mut highs: Vec<u8> = text.chars().map(|c| (ucs2(c) >> 8) as u8).collect();
    highs.sort_unstable();
    highs.dedup();
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    // At most 100 entries per block (PDF 32000-1, 9.10.3).
    for block in highs.chunks(100) {
        s.push_str(&format!("{} beginbfrange\n", block.len()));
        for h in block {
            s.push_str(&format!("<{h:02X}00> <{h:02X}FF> <{h:02X}00>\n"));
        }
        s.push_str("endbfrange\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

/// A char as the font's 2-byte code; beyond the BMP, 〓 (the predefined CMap is UCS-2 only).
fn ucs2(c: char) -> u16 {
    u16::try_from(u32::from(c)).unwrap_or(0x3013)
}

/// The page's resources as a dictionary of its own: its own, or a copy of the inherited ones.
fn effective_resources(doc: &Document, page: ObjectId) -> Dictionary {
    let Ok(dict) = doc.get_dictionary(page) else {
        return Dictionary::new();
    };
    match dict.get(b"Resources") {
        Ok(Object::Dictionary(d)) => d.clone(),
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).cloned().unwrap_or_default(),
        _ => doc
            .get_page_resources(page)
            .ok()
            .and_then(|(_, ids)| ids.first().and_then(|id| doc.get_dictionary(*id).ok()))
            .cloned()
            .unwrap_or_default(),
    }
}

/// The page's MediaBox, inherited if need be; US Letter if none (as readers assume).
fn media_box(doc: &Document, page: ObjectId) -> [f32; 4] {
    let mut id = page;
    for _ in 0..32 {
        let Ok(d) = doc.get_dictionary(id) else { break };
        let arr = match d.get(b"MediaBox") {
            Ok(Object::Array(a)) => Some(a.clone()),
            Ok(Object::Reference(r)) => doc.get_object(*r).and_then(Object::as_array).ok().cloned(),
            _ => None,
        };
        if let Some(a) = arr {
            let v: Vec<f32> = a.iter().filter_map(|o| o.as_float().ok()).collect();
            if let [x0, y0, x1, y1] = v[..]
                && x1 > x0
                && y1 > y0
            {
                return [x0, y0, x1, y1];
            }
        }
        match d.get(b"Parent").and_then(Object::as_reference) {
            Ok(p) => id = p,
            Err(_) => break,
        }
    }
    [0.0, 0.0, 612.0, 792.0]
}

/// The content of the mark's form: rows of the text across the page, rotated about its centre.
fn rows(bbox: [f32; 4], text: &str) -> Vec<u8> {
    let [x0, y0, x1, y1] = bbox;
    let (w, h) = (x1 - x0, y1 - y0);
    let size = (w.min(h) / 40.0).clamp(8.0, 48.0);
    // CJK glyphs are one em wide, Latin about half.
    let width: f32 = text
        .chars()
        .map(|c| if c.is_ascii() { 0.5 } else { 1.0 })
        .sum::<f32>()
        * size;
    let hex: String = text.chars().map(|c| format!("{:04X}", ucs2(c))).collect();
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (sin, cos) = 30f32.to_radians().sin_cos();
    let reach = (w * w + h * h).sqrt() / 2.0 + width;
    let (step_x, step_y) = (width + size * 3.0, size * 5.0);
    let mut s = format!(
        "q /BaomiG gs 0.25 0.25 0.25 rg 1 0 0 1 {cx:.2} {cy:.2} cm {cos:.4} {sin:.4} {:.4} {cos:.4} 0 0 cm BT /BaomiF {size:.1} Tf\n",
        -sin
    );
    let mut y = -reach;
    let mut row = 0;
    while y <= reach {
        let mut x = -reach + if row % 2 == 1 { step_x / 2.0 } else { 0.0 };
        while x <= reach {
            s.push_str(&format!("1 0 0 1 {x:.1} {y:.1} Tm <{hex}> Tj\n"));
            x += step_x;
        }
        y += step_y;
        row += 1;
    }
    s.push_str("ET Q\n");
    s.into_bytes()
}
