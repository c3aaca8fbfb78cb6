//! A bounded walk over one XML part, hand-written for the hot path: the text parts of Office and
//! ODF files are most of what the extractor reads, and a general parser re-validated every text
//! run (quick-xml checks UTF-8 per event; here the part is validated once, with simdutf8).
//! Element nesting is capped; entities a document declares for itself are never expanded (a
//! "billion laughs" costs nothing; its text is reported unread). Comments, processing
//! instructions and declarations are skipped; CDATA is text. Attributes are parsed only when
//! asked for. The rewriter (`rewrite`), which needs exact byte positions of every node, keeps
//! using quick-xml; a test runs both over the generated documents and compares.

use crate::Skip;
use memchr::memmem;
use std::borrow::Cow;

/// The attributes of a start tag, parsed on demand.
pub(crate) struct Tag<'x> {
    attrs: &'x str,
}

/// What the walk reports to a format's reader.
pub(crate) enum Node<'a, 'x> {
    /// An element opens (empty elements open and close).
    Open(&'a [u8], &'a Tag<'x>),
    /// An element closes.
    Close(&'a [u8]),
    /// Character data.
    Text(&'a str),
}

/// Walks `bytes` as XML. Problems that end the walk or leave text unread come back as skips
/// (the text seen before them has been delivered).
pub(crate) fn walk(bytes: &[u8], max_depth: usize, f: impl FnMut(Node<'_, '_>)) -> Vec<Skip> {
    walk_skipping(bytes, max_depth, &[], f)
}

/// [`walk`], passing over the elements named in `skip` (local names) with everything inside
/// them: one search for their end tag instead of a walk over property elements a reader would
/// ignore (`rPr`, `pPr`: a run's or paragraph's formatting, several tags per run as office
/// suites write them). An element whose end tag is missing is walked as usual.
pub(crate) fn walk_skipping(
    bytes: &[u8],
    max_depth: usize,
    skip: &[&[u8]],
    mut f: impl FnMut(Node<'_, '_>),
) -> Vec<Skip> {
    let text = as_str(bytes);
    let s: &str = &text;
    let b = s.as_bytes();
    let mut skips = vec![];
    let mut depth = 0usize;
    let mut declares_entities = false;
    let mut i = 0;
    let corrupt = |at: usize, what: &str| Skip::Corrupt(format!("XML error at byte {at}: {what}"));
    while i < b.len() {
        // One search finds both the end of the text and whether it holds a reference; in
        // markup-heavy parts the next tag mostly follows at once.
        let found = if b[i] == b'<' {
            Some(0)
        } else {
            memchr::memchr2(b'<', b'&', &b[i..])
        };
        let (off, amp) = match found {
            Some(o) if b[i + o] == b'<' => (Some(o), false),
            Some(o) => (memchr::memchr(b'<', &b[i + o..]).map(|l| o + l), true),
            None => (None, false),
        };
        let Some(off) = off else {
            chars(&s[i..], amp, declares_entities, &mut skips, &mut f);
            break;
        };
        if off > 0 {
            chars(&s[i..i + off], amp, declares_entities, &mut skips, &mut f);
        }
        let lt = i + off;
        let rest = &b[lt + 1..];
        if rest.starts_with(b"!--") {
            let Some(e) = memmem::find(&b[lt + 4..], b"-->") else {
                skips.push(corrupt(lt, "unterminated comment"));
                break;
            };
            i = lt + 4 + e + 3;
        } else if rest.starts_with(b"![CDATA[") {
            let start = lt + 9;
            let Some(e) = memmem::find(&b[start..], b"]]>") else {
                skips.push(corrupt(lt, "unterminated CDATA"));
                break;
            };
            f(Node::Text(&s[start..start + e]));
            i = start + e + 3;
        } else if rest.starts_with(b"?") {
            let Some(e) = memmem::find(rest, b"?>") else {
                skips.push(corrupt(lt, "unterminated processing instruction"));
                break;
            };
            i = lt + 1 + e + 2;
        } else if rest.starts_with(b"!") {
            // A declaration; one with an internal subset ends at `]` followed by `>`.
            let gt = memchr::memchr(b'>', rest);
            let open = memchr::memchr(b'[', rest);
            let end = match (open, gt) {
                (Some(o), Some(g)) if o < g => memmem::find(&rest[o..], b"]")
                    .and_then(|c| memchr::memchr(b'>', &rest[o + c..]).map(|g| o + c + g)),
                (_, g) => g,
            };
            let Some(e) = end else {
                skips.push(corrupt(lt, "unterminated declaration"));
                break;
            };
            if memmem::find(&rest[..e], b"<!ENTITY").is_some() {
                declares_entities = true;
            }
            i = lt + 1 + e + 1;
        } else if rest.starts_with(b"/") {
            // Names are short: a byte loop beats a library search's set-up.
            let Some(e) = rest.iter().position(|&c| c == b'>') else {
                skips.push(corrupt(lt, "unterminated end tag"));
                break;
            };
            let name = &s[lt + 2..lt + 1 + e];
            let name = match name.as_bytes().last() {
                Some(c) if c.is_ascii_whitespace() => name.trim_end(),
                _ => name,
            };
            depth = depth.saturating_sub(1);
            f(Node::Close(local(name)));
            i = lt + 1 + e + 1;
        } else {
            // The name, up to whitespace, `/` or `>`; most tags of running text end there.
            let name_end = rest
                .iter()
                .position(|&c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>'))
                .unwrap_or(rest.len());
            let gt = match rest.get(name_end) {
                Some(b'>') => lt + 1 + name_end,
                _ => match tag_end(b, lt + 1 + name_end) {
                    Some(g) => g,
                    None => {
                        skips.push(corrupt(lt, "unterminated start tag"));
                        break;
                    }
                },
            };
            let inner = &s[lt + 1..gt];
            let empty = inner.ends_with('/');
            let inner = inner.strip_suffix('/').unwrap_or(inner);
            let name_end = name_end.min(inner.len());
            if name_end == 0 {
                skips.push(corrupt(lt, "tag without a name"));
                break;
            }
            depth += 1;
            if depth > max_depth {
                skips.push(Skip::Depth { limit: max_depth });
                return skips;
            }
            let name = local(&inner[..name_end]);
            if !empty && skip.contains(&name) {
                let qname = &inner.as_bytes()[..name_end];
                if let Some(end) = end_tag(b, gt + 1, qname) {
                    depth -= 1;
                    i = end;
                    continue;
                }
            }
            let tag = Tag {
                attrs: &inner[name_end..],
            };
            f(Node::Open(name, &tag));
            if empty {
                depth -= 1;
                f(Node::Close(name));
            }
            i = gt + 1;
        }
    }
    skips
}

/// The index after the end tag `</qname>` (or `</qname >`) searched from `from`; `None` if
/// there is none, or if another `<qname` opens first (the element nests in itself, and its
/// first end tag is not its own). Tag by tag: the end is mostly a few tags away, closer than
/// a substring searcher's set-up would pay for.
fn end_tag(b: &[u8], from: usize, qname: &[u8]) -> Option<usize> {
    let mut at = from;
    loop {
        let lt = at + memchr::memchr(b'<', b.get(at..)?)?;
        let rest = &b[lt + 1..];
        let (close, name) = match rest.first() {
            Some(b'/') => (true, &rest[1..]),
            _ => (false, rest),
        };
        if name.starts_with(qname) {
            let after = &name[qname.len()..];
            let spaces = after.iter().take_while(|c| c.is_ascii_whitespace()).count();
            match (close, after.get(spaces)) {
                (true, Some(b'>')) => return Some(lt + 1 + 1 + qname.len() + spaces + 1),
                (false, Some(b'>' | b'/')) => return None,
                (false, Some(_)) if spaces > 0 => return None,
                _ => {}
            }
        }
        at = lt + 1;
    }
}

/// The local part of a qualified name.
pub(crate) fn local(name: &str) -> &[u8] {
    let n = name.as_bytes();
    match n.iter().position(|&c| c == b':') {
        Some(c) => &n[c + 1..],
        None => n,
    }
}

/// Index of the `>` that ends the tag starting at `from`, minding quoted attribute values.
///
/// The first `>` is the end unless it sits inside a value: with only double quotes before it
/// (as producers write), an even count of them says it does not. That is one search and a
/// count the compiler vectorises, instead of a quote-state machine run over every byte of
/// the attributes (office producers write several per element).
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let gt = from + memchr::memchr(b'>', b.get(from..)?)?;
    let (dq, sq) = b[from..gt].iter().fold((0u32, 0u32), |(d, s), &c| {
        (d + u32::from(c == b'"'), s + u32::from(c == b'\''))
    });
    if sq == 0 && dq % 2 == 0 {
        return Some(gt);
    }
    tag_end_quoted(b, from)
}

/// [`tag_end`] by the quote-state machine, for tags that need it.
fn tag_end_quoted(b: &[u8], from: usize) -> Option<usize> {
    let mut quote = 0u8;
    for (i, &c) in b.iter().enumerate().skip(from) {
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'>' {
            return Some(i);
        } else if c == b'"' || c == b'\'' {
            quote = c;
        }
    }
    None
}

/// Character data with its references resolved.
fn chars(
    raw: &str,
    amp: bool,
    declares_entities: bool,
    skips: &mut Vec<Skip>,
    f: &mut impl FnMut(Node<'_, '_>),
) {
    if !amp {
        f(Node::Text(raw));
        return;
    }
    match unescape(raw) {
        (t, false) => f(Node::Text(&t)),
        (t, true) => {
            f(Node::Text(&t));
            if declares_entities && !skips.contains(&Skip::XmlEntities) {
                skips.push(Skip::XmlEntities);
            }
        }
    }
}

/// Resolves the predefined entities and character references; other entities are left out
/// (true is returned when there were any).
fn unescape(raw: &str) -> (Cow<'_, str>, bool) {
    if !raw.contains('&') {
        return (Cow::Borrowed(raw), false);
    }
    let mut out = String::with_capacity(raw.len());
    let mut unknown = false;
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|s| *s <= 32) else {
            // A lone ampersand: kept as written.
            out.push('&');
            rest = after;
            continue;
        };
        let name = &after[..semi];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => {
                unknown = true;
                None
            }
        };
        if let Some(c) = c {
            out.push(c);
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    (Cow::Owned(out), unknown)
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

/// Attributes as (qualified name, raw value), in order.
pub(crate) fn attributes<'x>(tag: &Tag<'x>) -> impl Iterator<Item = (&'x str, &'x str)> {
    let mut rest = tag.attrs;
    // XML's white space is ASCII: byte searches and trims, no Unicode tables.
    std::iter::from_fn(move || {
        let eq = memchr::memchr(b'=', rest.as_bytes())?;
        let key = rest[..eq].trim_ascii();
        let after = rest[eq + 1..].trim_ascii_start();
        let q = *after
            .as_bytes()
            .first()
            .filter(|c| **c == b'"' || **c == b'\'')?;
        let close = memchr::memchr(q, &after.as_bytes()[1..])?;
        let value = &after[1..1 + close];
        rest = &after[1 + close + 1..];
        Some((key, value))
    })
}

/// The unescaped value of attribute `name` (local name) of `e`.
pub(crate) fn attr(e: &Tag<'_>, name: &[u8]) -> Option<String> {
    attributes(e)
        .find(|(k, _)| local(k) == name)
        .map(|(_, v)| unescape(v).0.into_owned())
}

/// The raw value of attribute `name` (local name), for values that never hold references
/// (cell addresses, counts, types): no allocation on the hot path.
pub(crate) fn attr_raw<'x>(e: &Tag<'x>, name: &[u8]) -> Option<&'x str> {
    attributes(e)
        .find(|(k, _)| local(k) == name)
        .map(|(_, v)| v)
}

/// The value of a prefixed attribute with local name `name` (`r:id`, next to a plain `id`).
pub(crate) fn prefixed_attr(e: &Tag<'_>, name: &[u8]) -> Option<String> {
    attributes(e)
        .find(|(k, _)| k.contains(':') && local(k) == name)
        .map(|(_, v)| unescape(v).0.into_owned())
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

    proptest::proptest! {
        /// Passing over elements never fails on broken markup, and only ever takes text away.
        #[test]
        fn skipping_survives_any_markup(t in "(<|>|/|rPr|w:|pPr| |=|\"|x|機)*") {
            let mut plain = String::new();
            let s1 = walk(t.as_bytes(), 64, |n| if let Node::Text(x) = n { plain.push_str(x) });
            let mut skipped = String::new();
            walk_skipping(t.as_bytes(), 64, &[b"rPr", b"pPr"], |n| {
                if let Node::Text(x) = n { skipped.push_str(x) }
            });
            // Where the plain walk stopped at an error inside a passed-over element, the other
            // walks on: the claim holds for markup the plain walk reads to the end.
            if s1.is_empty() {
                proptest::prop_assert!(skipped.len() <= plain.len(), "{:?}: {:?} / {:?}", t, skipped, plain);
            }
        }

        /// The quote count finds the same end as the quote-state machine.
        #[test]
        fn tag_end_by_counting_quotes_is_exact(t in "[a=\"' >/]{0,40}") {
            let b = t.as_bytes();
            for from in 0..=b.len() {
                proptest::prop_assert_eq!(tag_end(b, from), tag_end_quoted(b, from), "{:?} from {}", t, from);
            }
        }
    }

    #[test]
    fn skipped_elements_deliver_nothing_unless_they_nest_or_never_end() {
        let run = |xml: &str| {
            let mut events = vec![];
            let skips = walk_skipping(xml.as_bytes(), 10, &[b"rPr"], |n| {
                events.push(match n {
                    Node::Open(name, _) => format!("<{}>", String::from_utf8_lossy(name)),
                    Node::Close(name) => format!("</{}>", String::from_utf8_lossy(name)),
                    Node::Text(t) => t.to_string(),
                })
            });
            (events.concat(), skips)
        };
        let (e, s) = run(r#"<r><w:rPr><sz val="1"/><b/></w:rPr><w:rPr/><t>機密</t></r>"#);
        assert_eq!(e, "<r><rPr></rPr><t>機密</t></r>");
        assert!(s.is_empty());
        // `</w:rPrChange>` is not the end; a nested rPr, or a missing end, is walked as usual.
        let (e, _) = run("<r><w:rPr><w:rPrChange>x</w:rPrChange ></w:rPr >y</r>");
        assert_eq!(e, "<r>y</r>");
        // The outer one, holding another, is walked; the inner one is passed over.
        let (e, _) = run("<r><rPr><rPr>a</rPr>b</rPr>c</r>");
        assert_eq!(e, "<r><rPr>b</rPr>c</r>");
        let (e, _) = run("<r><rPr>a");
        assert_eq!(e, "<r><rPr>a");
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

    #[test]
    fn markup_that_is_not_elements_is_not_text() {
        let xml = "<?xml version=\"1.0\"?><!-- <a>x</a> --><r a='1>2' b=\"&lt;\"><![CDATA[<機密>]]><e/>z</r>";
        let mut events = vec![];
        let skips = walk(xml.as_bytes(), 10, |n| {
            events.push(match n {
                Node::Open(name, t) => format!(
                    "<{}{}>",
                    String::from_utf8_lossy(name),
                    attr(t, b"b").unwrap_or_default()
                ),
                Node::Close(name) => format!("</{}>", String::from_utf8_lossy(name)),
                Node::Text(t) => t.to_string(),
            })
        });
        assert!(skips.is_empty());
        assert_eq!(events, ["<r<>", "<機密>", "<e>", "</e>", "z", "</r>"]);
    }

    /// The same text, element by element, as quick-xml reads it, over every XML part of the
    /// documents the corpus writes.
    #[test]
    fn agrees_with_quick_xml_on_generated_documents() {
        use baomi_corpus::formats::{Extras, FORMATS, render};
        use quick_xml::events::Event as X;
        let extras = Extras {
            header: Some("機密（限閱）"),
            footer: Some("電話 02-2345-6789"),
            comment: Some("A123456789 & <b>"),
            title: Some("會議"),
            author: Some("王大明"),
        };
        for d in baomi_corpus::generate(11, 5) {
            for fmt in FORMATS
                .iter()
                .filter(|f| !matches!(**f, "eml" | "html" | "pdf" | "zip" | "7z"))
            {
                let bytes = render(fmt, &d.text, &extras).unwrap();
                let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
                for i in 0..zip.len() {
                    let mut f = zip.by_index(i).unwrap();
                    let name = String::from_utf8_lossy(f.name_raw()).into_owned();
                    if !name.ends_with(".xml") {
                        continue;
                    }
                    let mut xml = String::new();
                    std::io::Read::read_to_string(&mut f, &mut xml).unwrap();
                    // (kind, text): 'o' open, 'c' close, 't' text; runs of text merged,
                    // since quick-xml splits text at every reference.
                    fn push(v: &mut Vec<(char, String)>, k: char, t: &str) {
                        match v.last_mut() {
                            Some(('t', l)) if k == 't' => l.push_str(t),
                            _ => v.push((k, t.to_string())),
                        }
                    }
                    let mut ours = vec![];
                    walk(xml.as_bytes(), 512, |n| match n {
                        Node::Open(n, _) => push(&mut ours, 'o', &String::from_utf8_lossy(n)),
                        Node::Close(n) => push(&mut ours, 'c', &String::from_utf8_lossy(n)),
                        Node::Text(t) => push(&mut ours, 't', t),
                    });
                    let mut theirs = vec![];
                    let mut r = quick_xml::Reader::from_str(&xml);
                    r.config_mut().expand_empty_elements = true;
                    loop {
                        match r.read_event().unwrap() {
                            X::Start(e) => push(&mut theirs, 'o', e.local_name().as_ref()),
                            X::End(e) => push(&mut theirs, 'c', e.local_name().as_ref()),
                            X::Text(t) => push(&mut theirs, 't', &t.xml10_content()),
                            X::GeneralRef(e) => {
                                let c = match &*e {
                                    "amp" => '&',
                                    "lt" => '<',
                                    "gt" => '>',
                                    "quot" => '"',
                                    "apos" => '\'',
                                    _ => e.resolve_char_ref().unwrap().unwrap(),
                                };
                                push(&mut theirs, 't', c.encode_utf8(&mut [0; 4]));
                            }
                            X::Eof => break,
                            _ => {}
                        }
                    }
                    assert_eq!(ours, theirs, "{fmt} {name}");
                }
            }
        }
    }
}
