//! The text nodes of one XML part, as a running text with a map back to their bytes, so that
//! edits to the running text (masking a national ID split over three runs of a Word paragraph)
//! go back into exactly the bytes that hold them. Everything else in the part is untouched.

use crate::Skip;
use quick_xml::events::Event as X;
use quick_xml::reader::Reader;
use std::ops::Range;

/// Which elements hold text and which end a line, by local name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dialect {
    /// WordprocessingML and DrawingML: `t`, `delText`; `p` ends a paragraph.
    Word,
    /// SpreadsheetML strings: `t` outside phonetic runs; `si` ends an item.
    SheetStrings,
    /// OpenDocument: all character data (declarations excepted); `p`/`h` end a paragraph.
    Odf,
    /// Property parts: every leaf; every element ends a line.
    Properties,
}

/// A stretch of character data (or one character reference) in the XML source.
#[derive(Debug)]
pub(crate) struct Piece {
    /// Bytes in the source.
    raw: Range<usize>,
    /// Bytes in the running text.
    flow: Range<usize>,
}

/// The running text of a part and where each of its pieces lives.
#[derive(Debug, Default)]
pub(crate) struct TextMap {
    pub(crate) text: String,
    pieces: Vec<Piece>,
}

/// Reads the text nodes of `xml`. Parts that are not UTF-8 are refused (they are rare, and a
/// rewrite must not change an encoding it does not understand).
pub(crate) fn map(xml: &str, dialect: Dialect, max_depth: usize) -> Result<TextMap, Skip> {
    let mut r = Reader::from_str(xml);
    let cfg = r.config_mut();
    cfg.check_end_names = false;
    cfg.allow_unmatched_ends = true;
    cfg.allow_dangling_amp = true;
    let mut m = TextMap::default();
    let (mut in_text, mut muted, mut depth) = (0usize, 0usize, 0usize);
    loop {
        let before = r.buffer_position() as usize;
        let ev = r
            .read_event()
            .map_err(|e| Skip::Corrupt(format!("XML error at byte {}: {e}", r.error_position())))?;
        let after = r.buffer_position() as usize;
        let piece = |m: &mut TextMap, text: &str| {
            let start = m.text.len();
            m.text.push_str(text);
            m.pieces.push(Piece {
                raw: before..after,
                flow: start..m.text.len(),
            });
        };
        match ev {
            X::Empty(e) => match (dialect, e.local_name().as_ref()) {
                // Empty elements do not nest, and hold no text.
                (Dialect::Word | Dialect::Odf, "tab") => m.text.push('\t'),
                (Dialect::Word, "br" | "cr") | (Dialect::Odf, "line-break") => m.text.push('\n'),
                (Dialect::Odf, "s") => m.text.push(' '),
                _ => {}
            },
            X::Start(e) => {
                depth += 1;
                if depth > max_depth {
                    return Err(Skip::Depth { limit: max_depth });
                }
                match (dialect, e.local_name().as_ref()) {
                    (Dialect::Word, "t" | "delText") | (Dialect::SheetStrings, "t") => in_text += 1,
                    (Dialect::SheetStrings, "rPh") => muted += 1,
                    (Dialect::Odf, "sequence-decls" | "variable-decls" | "user-field-decls") => {
                        muted += 1
                    }
                    _ => {}
                }
            }
            X::End(e) => {
                depth = depth.saturating_sub(1);
                match (dialect, e.local_name().as_ref()) {
                    (Dialect::Word, "t" | "delText") | (Dialect::SheetStrings, "t") => {
                        in_text = in_text.saturating_sub(1)
                    }
                    (Dialect::SheetStrings, "rPh") => muted = muted.saturating_sub(1),
                    (Dialect::Odf, "sequence-decls" | "variable-decls" | "user-field-decls") => {
                        muted = muted.saturating_sub(1)
                    }
                    (Dialect::Word, "p")
                    | (Dialect::SheetStrings, "si")
                    | (Dialect::Odf, "p" | "h") => m.text.push('\n'),
                    (Dialect::Properties, _) => m.text.push('\n'),
                    _ => {}
                }
            }
            X::Text(t) => {
                let open = match dialect {
                    Dialect::Word | Dialect::SheetStrings => in_text > 0 && muted == 0,
                    Dialect::Odf => muted == 0,
                    Dialect::Properties => true,
                };
                if open {
                    piece(&mut m, &t.xml10_content());
                }
            }
            X::GeneralRef(e) => {
                let open = match dialect {
                    Dialect::Word | Dialect::SheetStrings => in_text > 0 && muted == 0,
                    Dialect::Odf => muted == 0,
                    Dialect::Properties => true,
                };
                let c = match e.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*e {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if open && let Some(c) = c {
                    piece(&mut m, c.encode_utf8(&mut [0; 4]));
                }
            }
            X::DocType(_) => return Err(Skip::XmlEntities),
            X::Eof => return Ok(m),
            _ => {}
        }
    }
}

/// A change to a running text: bytes `start..end` become `with`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// First byte replaced.
    pub start: usize,
    /// Byte after the last one replaced.
    pub end: usize,
    /// The new text.
    pub with: String,
}

impl TextMap {
    /// `xml` with the replacements (on [`TextMap::text`]) written into the pieces that hold
    /// them. A replacement with as many characters as it replaces goes character by character
    /// (so it spreads over runs the way the original did); otherwise it goes whole into the
    /// first piece and the rest of the span is emptied.
    pub(crate) fn apply(&self, xml: &str, reps: &[Replacement]) -> String {
        // New text by original char offset, for every char inside a replaced span.
        let mut at: std::collections::BTreeMap<usize, String> = Default::default();
        for rep in reps {
            let Some(orig) = self.text.get(rep.start..rep.end) else {
                continue;
            };
            let starts: Vec<usize> = orig.char_indices().map(|(i, _)| rep.start + i).collect();
            let new: Vec<char> = rep.with.chars().collect();
            if new.len() == starts.len() {
                for (s, c) in starts.iter().zip(new) {
                    at.insert(*s, c.to_string());
                }
            } else if let Some((first, rest)) = starts.split_first() {
                at.insert(*first, rep.with.clone());
                for s in rest {
                    at.insert(*s, String::new());
                }
            }
        }
        let mut out = String::with_capacity(xml.len());
        let mut pos = 0;
        for p in &self.pieces {
            let touched = at.range(p.flow.clone()).next().is_some();
            if !touched {
                continue;
            }
            out.push_str(&xml[pos..p.raw.start]);
            let mut new = String::new();
            for (i, c) in self.text[p.flow.clone()].char_indices() {
                match at.get(&(p.flow.start + i)) {
                    Some(s) => new.push_str(s),
                    None => new.push(c),
                }
            }
            out.push_str(&escape(&new));
            pos = p.raw.end;
        }
        out.push_str(&xml[pos..]);
        out
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_split_over_runs_is_masked_in_place() {
        let xml = r#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>身分證A12</w:t></w:r><w:r><w:t>3456</w:t></w:r><w:r><w:t>789&amp;</w:t></w:r></w:p></w:body></w:document>"#;
        let m = map(xml, Dialect::Word, 100).unwrap();
        assert_eq!(m.text, "身分證A123456789&\n");
        let s = m.text.find('A').unwrap();
        let out = m.apply(
            xml,
            &[Replacement {
                start: s,
                end: s + 10,
                with: "A12345****".into(),
            }],
        );
        assert_eq!(
            out,
            xml.replace("<w:t>3456</w:t>", "<w:t>345*</w:t>")
                .replace("<w:t>789&amp;</w:t>", "<w:t>***&amp;</w:t>")
        );
    }

    #[test]
    fn a_longer_or_shorter_mask_goes_into_the_first_piece() {
        let xml = "<o><text:p>住址：臺北市</text:p><text:p><text:span>中正區</text:span>重慶南路</text:p></o>";
        let m = map(xml, Dialect::Odf, 100).unwrap();
        assert_eq!(m.text, "住址：臺北市\n中正區重慶南路\n");
        let s = m.text.find("中正區").unwrap();
        let out = m.apply(
            xml,
            &[Replacement {
                start: s,
                end: m.text.len() - 1,
                with: "○○".into(),
            }],
        );
        assert_eq!(
            out,
            "<o><text:p>住址：臺北市</text:p><text:p><text:span>○○</text:span></text:p></o>"
        );
    }

    #[test]
    fn doctype_is_refused() {
        assert!(matches!(
            map("<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", Dialect::Odf, 10),
            Err(Skip::XmlEntities)
        ));
    }
}
