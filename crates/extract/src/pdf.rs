//! PDF: the text layer page by page (fonts decoded through their ToUnicode maps, as LibreOffice
//! and Word write Chinese), text in form XObjects (headers, stamps placed as forms), document
//! information; pages without text go to OCR through their images, or are reported as having no
//! text layer. The page tree is walked here, with a visited set, so that a cyclic tree ends;
//! content streams are decompressed within the budget; the parser runs under `catch_unwind`.

use crate::pdf_content::{Operand, for_each_op};
use crate::walk::Walk;
use crate::{Format, Origin, Part, Section, Skip};
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId, Stream};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

/// Form XObjects inside form XObjects.
const MAX_FORM_DEPTH: usize = 8;

pub(crate) fn extract(w: &mut Walk<'_>, bytes: &[u8], origin: &Origin) {
    let doc = match catch_unwind(|| Document::load_mem(bytes)) {
        Ok(Ok(d)) => d,
        Ok(Err(lopdf::Error::Decryption(_))) => return w.skip(origin, Skip::Encrypted),
        Ok(Err(e)) => return w.skip(origin, Skip::Corrupt(format!("PDF: {e}"))),
        Err(_) => return w.skip(origin, Skip::Corrupt("PDF parser failed".into())),
    };
    if doc.is_encrypted() {
        return w.skip(origin, Skip::Encrypted);
    }
    info(w, &doc, origin);
    let mut pages = page_ids(&doc);
    let max = w.budget.limits.max_pages;
    if pages.len() > max {
        w.skip(origin, Skip::Pages { limit: max });
        pages.truncate(max);
    }
    let mut fonts = FontCache::new();
    for (i, id) in pages.into_iter().enumerate() {
        let here = origin.with(Part::Page(i as u32 + 1));
        let mut text = String::new();
        let mut skips = vec![];
        let read = catch_unwind(AssertUnwindSafe(|| {
            let mut seen = HashSet::new();
            let res = page_resources(&doc, id);
            let content = page_content(&doc, id, &mut w.budget.bytes_left, &mut skips);
            run(
                &doc,
                &content,
                res,
                &mut fonts,
                &mut text,
                &mut seen,
                0,
                &mut w.budget.bytes_left,
                &mut skips,
            );
        }));
        if read.is_err() {
            skips.push(Skip::Corrupt("PDF page could not be read".into()));
        }
        for s in skips {
            w.skip(&here, s);
        }
        if !text.trim().is_empty() {
            w.text(&here, &text, &[]);
            continue;
        }
        let images = page_images(&doc, id, &mut w.budget.bytes_left);
        if images.is_empty() {
            w.skip(&here, Skip::NoTextLayer);
        }
        for (name, img) in images {
            let at = here.with(Part::Image(name));
            match img {
                Ok((format, data)) => crate::ocr::extract(w, &data, format, &at),
                Err(skip) => w.skip(&at, skip),
            }
        }
    }
}

/// Pages in order; each node visited once, however the tree points back at itself.
fn page_ids(doc: &Document) -> Vec<ObjectId> {
    let mut out = vec![];
    let Ok(root) = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
    else {
        return out;
    };
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Ok(node) = doc.get_dictionary(id) else {
            continue;
        };
        match node.get(b"Kids").and_then(Object::as_array) {
            Ok(kids) => {
                // Reverse so that the first kid is read first.
                stack.extend(kids.iter().rev().filter_map(|k| k.as_reference().ok()));
            }
            Err(_) => out.push(id),
        }
    }
    out
}

/// The page's resource dictionary, inherited from its parents when it has none.
fn page_resources(doc: &Document, id: ObjectId) -> Option<&Dictionary> {
    let mut seen = HashSet::new();
    let mut cur = id;
    while seen.insert(cur) {
        let node = doc.get_dictionary(cur).ok()?;
        if let Ok(r) = node.get(b"Resources") {
            return deref_dict(doc, r);
        }
        cur = node.get(b"Parent").and_then(Object::as_reference).ok()?;
    }
    None
}

fn deref_dict<'d>(doc: &'d Document, o: &'d Object) -> Option<&'d Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        _ => None,
    }
}

fn page_content(doc: &Document, id: ObjectId, left: &mut u64, skips: &mut Vec<Skip>) -> Vec<u8> {
    let mut out = vec![];
    for sid in doc.get_page_contents(id) {
        if let Ok(s) = doc.get_object(sid).and_then(Object::as_stream) {
            match decoded(s, left) {
                Ok(d) => out.extend_from_slice(&d),
                Err(skip) => skips.push(skip),
            }
            out.push(b'\n');
        }
    }
    out
}

/// A stream's data, decompressed within the budget (a small stream may inflate to gigabytes).
fn decoded(s: &Stream, left: &mut u64) -> Result<Vec<u8>, Skip> {
    let filters = s.filters().unwrap_or_default();
    let data = match filters.as_slice() {
        [] => s.content.clone(),
        [b"FlateDecode"] => {
            let mut out = vec![];
            let mut z = flate2::read::ZlibDecoder::new(s.content.as_slice()).take(*left + 1);
            // A damaged tail still leaves the text before it.
            let _ = z.read_to_end(&mut out);
            out
        }
        _ => s
            .decompressed_content()
            .map_err(|e| Skip::Corrupt(format!("PDF stream: {e}")))?,
    };
    if data.len() as u64 > *left {
        *left = 0;
        return Err(Skip::TooLarge { limit: 0 });
    }
    *left -= data.len() as u64;
    Ok(data)
}

/// How a font's string bytes become text.
enum FontText<'d> {
    /// As lopdf decodes them (simple encodings).
    Lopdf(Encoding<'d>),
    /// Through a ToUnicode map, with lopdf's lookups memoised per code.
    ToUnicode(crate::pdf_cmap::Memo<'d>),
    /// Adobe's predefined Unicode CMaps (UniCNS-UCS2-H, UniGB-UTF16-H …): the codes are UTF-16BE
    /// already. Older Taiwanese systems write Chinese this way (MSung-Light, no ToUnicode), and
    /// lopdf leaves these names undecoded.
    Utf16Be,
}

impl FontText<'_> {
    fn new(e: Encoding<'_>) -> FontText<'_> {
        if matches!(e, Encoding::UnicodeMapEncoding(_)) {
            FontText::ToUnicode(crate::pdf_cmap::Memo::new(e))
        } else {
            FontText::Lopdf(e)
        }
    }

    fn decode(&self, b: &[u8]) -> Option<String> {
        match self {
            FontText::Lopdf(e) => Document::decode_text(e, b).ok(),
            FontText::ToUnicode(m) => Some(m.decode(b)),
            FontText::Utf16Be => {
                let units = b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                Some(
                    char::decode_utf16(units)
                        .map(|c| c.unwrap_or('\u{FFFD}'))
                        .collect(),
                )
            }
        }
    }
}

fn predefined_unicode_cmap(name: &[u8]) -> bool {
    name.starts_with(b"Uni")
        && (name.windows(4).any(|w| w == b"UCS2") || name.windows(5).any(|w| w == b"UTF16"))
        && (name.ends_with(b"-H") || name.ends_with(b"-V"))
}

/// Font encodings of a resource dictionary, by resource name.
fn encodings<'d>(
    doc: &'d Document,
    res: Option<&'d Dictionary>,
    cache: &mut FontCache<'d>,
) -> BTreeMap<Vec<u8>, Rc<FontText<'d>>> {
    let mut out = BTreeMap::new();
    let Some(fonts) = res
        .and_then(|r| r.get(b"Font").ok())
        .and_then(|f| deref_dict(doc, f))
    else {
        return out;
    };
    for (name, f) in fonts.iter() {
        let id = f.as_reference().ok();
        if let Some(t) = id.and_then(|id| cache.get(&id)) {
            out.insert(name.clone(), t.clone());
            continue;
        }
        let Some(font) = deref_dict(doc, f) else {
            continue;
        };
        let text = if font
            .get(b"Encoding")
            .and_then(Object::as_name)
            .is_ok_and(predefined_unicode_cmap)
        {
            Rc::new(FontText::Utf16Be)
        } else if let Ok(enc) = font.get_font_encoding(doc) {
            Rc::new(FontText::new(enc))
        } else {
            continue;
        };
        if let Some(id) = id {
            cache.insert(id, text.clone());
        }
        out.insert(name.clone(), text);
    }
    out
}

/// The decoders of one document's fonts, by font object: a ToUnicode map is parsed once per
/// document, not once per page that uses the font.
type FontCache<'d> = HashMap<ObjectId, Rc<FontText<'d>>>;

/// Runs a content stream's text operators into `out`; form XObjects are entered.
#[allow(clippy::too_many_arguments)]
fn run<'d>(
    doc: &'d Document,
    content: &[u8],
    res: Option<&'d Dictionary>,
    cache: &mut FontCache<'d>,
    out: &mut String,
    seen: &mut HashSet<ObjectId>,
    depth: usize,
    left: &mut u64,
    skips: &mut Vec<Skip>,
) {
    let fonts = encodings(doc, res, cache);
    let mut enc: Option<&FontText<'_>> = None;
    // Lines are told apart by the text position: writers place every run on its own (LibreOffice
    // opens a text object per run), so text objects and moves are not lines by themselves.
    let mut y = 0.0f32;
    let mut last_y: Option<f32> = None;
    let num = |o: Option<&Operand<'_>>| match o {
        Some(Operand::Num(n)) => *n,
        _ => 0.0,
    };
    let lexed = for_each_op(content, |op, operands| match op {
        b"Tf" => {
            enc = match operands.first() {
                Some(Operand::Name(n)) => fonts.get(*n).map(|f| &**f),
                _ => None,
            };
        }
        b"BT" => y = 0.0,
        b"Td" | b"TD" => y += num(operands.get(1)),
        b"Tm" => y = num(operands.get(5)),
        // Next line by the leading: a new line whatever its size.
        b"T*" => y -= 1000.0,
        b"Tj" | b"TJ" | b"'" | b"\"" => {
            if matches!(op, b"'" | b"\"") {
                y -= 1000.0;
            }
            if last_y.is_some_and(|l| (l - y).abs() > 1.0) && !out.ends_with('\n') {
                out.push('\n');
            }
            last_y = Some(y);
            if let Some(e) = enc {
                strings(e, operands, out);
            }
        }
        b"Do" if depth < MAX_FORM_DEPTH => {
            let Some(Operand::Name(name)) = operands.first() else {
                return;
            };
            let Some(xo) = res
                .and_then(|r| r.get(b"XObject").ok())
                .and_then(|x| deref_dict(doc, x))
                .and_then(|x| x.get(name).ok())
                .and_then(|o| o.as_reference().ok())
            else {
                return;
            };
            if !seen.insert(xo) {
                return;
            }
            if let Ok(s) = doc.get_object(xo).and_then(Object::as_stream)
                && s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form")
            {
                let inner = s
                    .dict
                    .get(b"Resources")
                    .ok()
                    .and_then(|r| deref_dict(doc, r))
                    .or(res);
                match decoded(s, left) {
                    Ok(data) => run(doc, &data, inner, cache, out, seen, depth + 1, left, skips),
                    Err(skip) => skips.push(skip),
                }
            }
        }
        _ => {}
    });
    if let Err(e) = lexed {
        skips.push(Skip::Corrupt(format!("PDF content stream: {e}")));
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn strings(enc: &FontText<'_>, operands: &[Operand<'_>], out: &mut String) {
    for o in operands {
        match o {
            Operand::Str(b) => {
                if let Some(t) = enc.decode(b) {
                    out.push_str(&t);
                }
            }
            Operand::Array(a) => strings(enc, a, out),
            // A large negative kerning is a word space.
            Operand::Num(n) if *n < -200.0 => out.push(' '),
            _ => {}
        }
    }
}

type PageImage = Result<(Format, Vec<u8>), Skip>;

/// The images a page draws, as files OCR can read: JPEG as stored, 8-bit gray or RGB pixels as
/// PGM/PPM.
fn page_images(doc: &Document, id: ObjectId, left: &mut u64) -> Vec<(String, PageImage)> {
    let mut out = vec![];
    let Some(xobjects) = page_resources(doc, id)
        .and_then(|r| r.get(b"XObject").ok())
        .and_then(|x| deref_dict(doc, x))
    else {
        return out;
    };
    for (name, o) in xobjects.iter() {
        let Some(s) = o
            .as_reference()
            .ok()
            .and_then(|r| doc.get_object(r).ok())
            .and_then(|o| o.as_stream().ok())
        else {
            continue;
        };
        if s.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Image") {
            continue;
        }
        let label = String::from_utf8_lossy(name).into_owned();
        out.push((label, image(s, left)));
    }
    out
}

fn image(s: &Stream, left: &mut u64) -> PageImage {
    let filters = s.filters().unwrap_or_default();
    if filters.last() == Some(&&b"DCTDecode"[..]) && filters.len() == 1 {
        return Ok((Format::Jpeg, s.content.clone()));
    }
    let int = |k: &[u8]| s.dict.get(k).and_then(Object::as_i64).unwrap_or(0);
    let (w, h, bpc) = (int(b"Width"), int(b"Height"), int(b"BitsPerComponent"));
    let channels = match s.dict.get(b"ColorSpace").and_then(Object::as_name) {
        Ok(b"DeviceGray") => 1,
        Ok(b"DeviceRGB") => 3,
        _ => return Err(Skip::Unsupported("PDF image colour space")),
    };
    if bpc != 8 || w <= 0 || h <= 0 || !matches!(filters.as_slice(), [] | [b"FlateDecode"]) {
        return Err(Skip::Unsupported(
            "PDF image encoding (CCITT, JBIG2, JPEG 2000 or packed bits)",
        ));
    }
    let data = decoded(s, left)?;
    let need = (w * h * channels) as usize;
    if data.len() < need {
        return Err(Skip::Corrupt("PDF image data is short".into()));
    }
    let magic = if channels == 1 { "P5" } else { "P6" };
    let mut pnm = format!("{magic}\n{w} {h}\n255\n").into_bytes();
    pnm.extend_from_slice(&data[..need]);
    Ok((Format::Binary, pnm))
}

/// Title, author, subject and keywords from the document information dictionary.
fn info(w: &mut Walk<'_>, doc: &Document, origin: &Origin) {
    let Some(info) = doc
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|i| deref_dict(doc, i))
    else {
        return;
    };
    let mut out = String::new();
    for key in [
        &b"Title"[..],
        b"Author",
        b"Subject",
        b"Keywords",
        b"Creator",
    ] {
        if let Ok(Object::String(v, _)) = info.get(key) {
            let text = pdf_text_string(v);
            if !text.trim().is_empty() {
                out.push_str(&String::from_utf8_lossy(key).to_lowercase());
                out.push_str(": ");
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    w.text(&origin.with(Part::Section(Section::Properties)), &out, &[]);
}

/// A PDF text string: UTF-16BE with a BOM, UTF-8 with a BOM, else PDFDocEncoding (read as
/// Latin-1, which agrees with it on the printable range).
fn pdf_text_string(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    b.iter().map(|c| *c as char).collect()
}
