//! A bounded walk over one XML part: element nesting is capped, and entities a document declares
//! for itself are never expanded (a "billion laughs" costs nothing; its text is reported unread).

use crate::Skip;
use quick_xml::events::{BytesStart, Event as X};
use quick_xml::reader::Reader;
use std::borrow::Cow;

/// What the walk reports to a format's reader.
pub(crate) enum Node<'a, 'x> {
    /// An element opens (empty elements open and close).
    Open(&'a [u8], &'a BytesStart<'x>),
    /// An element closes.
    Close(&'a [u8]),
    /// Character data.
    Text(&'a str),
}

/// Walks `bytes` as XML. Problems that end the walk or leave text unread come back as skips
/// (the text seen before them has been delivered).
pub(crate) fn walk(bytes: &[u8], max_depth: usize, mut f: impl FnMut(Node<'_, '_>)) -> Vec<Skip> {
    let text = as_str(bytes);
    let mut r = Reader::from_str(&text);
    let cfg = r.config_mut();
    cfg.expand_empty_elements = true;
    cfg.check_end_names = false;
    cfg.allow_unmatched_ends = true;
    cfg.allow_dangling_amp = true;
    let mut skips = vec![];
    let mut depth = 0usize;
    let mut declares_entities = false;
    let mut char_buf = [0u8; 4];
    loop {
        match r.read_event() {
            Ok(X::Start(e)) => {
                depth += 1;
                if depth > max_depth {
                    skips.push(Skip::Depth { limit: max_depth });
                    return skips;
                }
                let name = e.local_name();
                f(Node::Open(name.as_ref().as_bytes(), &e));
            }
            Ok(X::End(e)) => {
                depth = depth.saturating_sub(1);
                f(Node::Close(e.local_name().as_ref().as_bytes()));
            }
            Ok(X::Text(t)) => f(Node::Text(&t.xml10_content())),
            Ok(X::CData(t)) => f(Node::Text(&t)),
            Ok(X::GeneralRef(e)) => match e.resolve_char_ref() {
                Ok(Some(c)) => f(Node::Text(c.encode_utf8(&mut char_buf))),
                _ => match &*e {
                    "amp" => f(Node::Text("&")),
                    "lt" => f(Node::Text("<")),
                    "gt" => f(Node::Text(">")),
                    "quot" => f(Node::Text("\"")),
                    "apos" => f(Node::Text("'")),
                    _ if declares_entities && !skips.contains(&Skip::XmlEntities) => {
                        skips.push(Skip::XmlEntities);
                    }
                    // An undeclared entity: a writer's bug, nothing hidden behind it.
                    _ => {}
                },
            },
            Ok(X::DocType(d)) => {
                if memchr::memmem::find(d.as_ref().as_bytes(), b"<!ENTITY").is_some() {
                    declares_entities = true;
                }
            }
            Ok(X::Eof) => return skips,
            Ok(_) => {}
            Err(e) => {
                skips.push(Skip::Corrupt(format!(
                    "XML error at byte {}: {e}",
                    r.error_position()
                )));
                return skips;
            }
        }
    }
}

/// XML parts are UTF-8 almost always; UTF-16 with a BOM is allowed and converted.
fn as_str(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Cow::Owned(crate::decode::decode_all(bytes).into_owned());
    }
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match simdutf8::basic::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// The value of a prefixed attribute with local name `name` (`r:id`, next to a plain `id`).
pub(crate) fn prefixed_attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.prefix().is_some() && a.key.local_name().as_ref().as_bytes() == name)
        .map(|a| a.value.clone().into_owned())
}

/// The unescaped value of attribute `name` (local name) of `e`.
pub(crate) fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref().as_bytes() == name)
        .map(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.clone().into_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(xml: &str, depth: usize) -> (String, Vec<Skip>) {
        let mut out = String::new();
        let skips = walk(xml.as_bytes(), depth, |n| {
            if let Node::Text(t) = n {
                out.push_str(t)
            }
        });
        (out, skips)
    }

    #[test]
    fn references_resolve_and_declared_entities_do_not_expand() {
        let (t, s) = texts("<a>A&amp;B &#x6A5F;&#23494; &nbsp;</a>", 10);
        assert_eq!(t, "A&B 機密 ");
        assert!(s.is_empty());
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>x&b;y</l>"#;
        let (t, s) = texts(laughs, 10);
        assert_eq!(t, "xy");
        assert_eq!(s, vec![Skip::XmlEntities]);
    }

    #[test]
    fn depth_is_capped_and_broken_xml_is_reported_after_its_text() {
        let deep = "<a>".repeat(100) + "x" + &"</a>".repeat(100);
        let (_, s) = texts(&deep, 50);
        assert_eq!(s, vec![Skip::Depth { limit: 50 }]);
        let (t, s) = texts("<a>機密</a><b attr=\"", 10);
        assert_eq!(t, "機密");
        assert!(matches!(s.as_slice(), [Skip::Corrupt(_)]), "{s:?}");
    }
}
