//! HTML to text: tags dropped, block elements on lines of their own, character references
//! decoded, image alt text kept. Comments and scripts are kept too: a published page delivers
//! them to anyone who views its source. Only style sheets are skipped.

/// Elements after which the text continues on a new line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "title",
    "ul",
    "ol",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "hr",
    "dt",
    "dd",
];

/// The visible text of an HTML document or fragment.
pub(crate) fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut out, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").unwrap_or(after.len());
            out.push('\n');
            push_text(&mut out, &after[..end]);
            out.push('\n');
            rest = after.get(end + 3..).unwrap_or("");
            continue;
        }
        let (tag, after) = match tag_end(rest) {
            Some(end) => (&rest[1..end - 1], &rest[end..]),
            None => (&rest[1..], ""),
        };
        rest = after;
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !closing && (name == "style" || name == "script") {
            let close = format!("</{name}");
            let end = find_ci(rest, &close).unwrap_or(rest.len());
            if name == "script" {
                out.push('\n');
                out.push_str(&rest[..end]);
                out.push('\n');
            }
            rest = &rest[end..];
            continue;
        }
        if !closing && (name == "td" || name == "th") {
            out.push('\t');
        } else if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
        }
        if name == "img"
            && let Some(alt) = attribute(tag, "alt")
        {
            push_text(&mut out, alt);
            out.push('\n');
        }
    }
    push_text(&mut out, rest);
    out
}

fn push_text(out: &mut String, raw: &str) {
    // A browser shows `&nbsp;` as a space, and so does a number written with them.
    let start = out.len();
    if raw.contains('&') {
        out.push_str(&html_escape::decode_html_entities(raw));
    } else {
        out.push_str(raw);
    }
    if out[start..].contains('\u{a0}') {
        let fixed = out[start..].replace('\u{a0}', " ");
        out.truncate(start);
        out.push_str(&fixed);
    }
}

/// Index just past the `>` that ends the tag at the start of `s`, minding quoted values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let i = find_ci(tag, &format!("{name}="))?;
    let v = &tag[i + name.len() + 1..];
    match v.as_bytes().first()? {
        q @ (b'"' | b'\'') => {
            let v = &v[1..];
            v.find(*q as char).map(|e| &v[..e])
        }
        _ => v.split_whitespace().next(),
    }
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn visible_text_only() {
        let t = to_text(
            "<html><head><style>p{x:1}</style><script>var a='<p>';</script></head>\
             <body><p>陳情人&nbsp;王小明</p><!-- A123456789 --><table><tr><td>電話</td><td>02&#45;2345&#x2d;6789</td></tr></table>\
             <img src=x alt=\"身分證 A123456789\"></body></html>",
        );
        assert!(t.contains("陳情人 王小明"), "{t}");
        assert!(t.contains("\t電話\t02-2345-6789"), "{t}");
        assert!(t.contains("身分證 A123456789"), "{t}");
        assert!(!t.contains("x:1"), "{t}");
        assert!(t.contains("var a"), "scripts reach every visitor: {t}");
        assert_eq!(
            t.matches("A123456789").count(),
            2,
            "comments reach every visitor: {t}"
        );
    }

    #[test]
    fn broken_markup_ends_cleanly() {
        assert_eq!(to_text("a<b"), "a");
        assert_eq!(to_text("<style>never closed"), "");
        assert_eq!(to_text("<!-- open").trim(), "open");
        assert_eq!(to_text("x<中"), "x");
    }
}
