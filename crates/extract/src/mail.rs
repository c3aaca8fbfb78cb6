//! E-mail messages: header fields (subject, sender, recipients — the To/Cc of the evaluation
//! committee case), text and HTML bodies in their declared charsets (Big5 included), and every
//! attachment read as a file of its own, attached messages recursively.

use crate::walk::Walk;
use crate::{Origin, Part, Section, Skip};
use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};
use std::fmt::Write as _;

pub(crate) fn extract(w: &mut Walk<'_>, bytes: &[u8], origin: &Origin) {
    let Some(msg) = MessageParser::default().parse(bytes) else {
        w.skip(
            origin,
            Skip::Corrupt("not a readable e-mail message".into()),
        );
        return;
    };
    let before = w.reported();
    message(w, &msg, origin);
    // A message too broken to yield any field or part is still text someone can read.
    if w.reported() == before {
        w.text(origin, &crate::decode::decode_all(bytes), &[]);
    }
}

fn message(w: &mut Walk<'_>, msg: &Message<'_>, origin: &Origin) {
    let mut head = String::new();
    if let Some(s) = msg.subject() {
        let _ = writeln!(head, "Subject: {s}");
    }
    for (label, addr) in [
        ("From", msg.from()),
        ("Sender", msg.sender()),
        ("Reply-To", msg.reply_to()),
        ("To", msg.to()),
        ("Cc", msg.cc()),
        ("Bcc", msg.bcc()),
    ] {
        if let Some(a) = addr {
            let _ = writeln!(head, "{label}: {}", addresses(a));
        }
    }
    w.text(
        &origin.with(Part::Section(Section::MailHeaders)),
        &head,
        &[],
    );

    let body = origin.with(Part::Section(Section::Body));
    let mut read_text = false;
    for part in msg.text_bodies() {
        match &part.body {
            PartType::Text(t) => {
                read_text = true;
                w.text(&body, t, &[]);
            }
            PartType::Html(h) => {
                read_text = true;
                w.text(&body, &crate::html::to_text(h), &[]);
            }
            _ => {}
        }
    }
    // HTML alternatives say what the text says; read them only when there is no text part.
    if !read_text {
        for part in msg.html_bodies() {
            if let PartType::Html(h) = &part.body {
                w.text(&body, &crate::html::to_text(h), &[]);
            }
        }
    }
    for (i, part) in msg.attachments().enumerate() {
        if !crate::zipped::take_member(w, origin) {
            return;
        }
        let name = part
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("attachment {}", i + 1));
        let here = origin.with(Part::Attachment(name.clone()));
        if part.is_encoding_problem {
            w.skip(
                &here,
                Skip::Corrupt("attachment encoding is damaged".into()),
            );
        }
        let size = part.contents().len() as u64;
        if size > w.budget.bytes_left {
            let limit = w.budget.limits.max_total;
            w.skip(&here, Skip::TooLarge { limit });
            continue;
        }
        w.budget.bytes_left -= size;
        match &part.body {
            PartType::Message(inner) => {
                if here.depth() > w.budget.limits.max_depth {
                    let limit = w.budget.limits.max_depth;
                    w.skip(&here, Skip::Depth { limit });
                } else {
                    message(w, inner, &here);
                }
            }
            PartType::Text(t) => w.text(&here, t, &[]),
            PartType::Html(h) => w.text(&here, &crate::html::to_text(h), &[]),
            _ => {
                w.dispatch(part.contents(), Some(&name), &here);
            }
        }
    }
}

fn addresses(a: &Address<'_>) -> String {
    let mut out = String::new();
    for (i, addr) in a.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match (addr.name(), addr.address()) {
            (Some(n), Some(e)) => {
                let _ = write!(out, "{n} <{e}>");
            }
            (Some(n), None) => out.push_str(n),
            (None, Some(e)) => out.push_str(e),
            (None, None) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{Event, Extractor, Ocr};

    fn texts(bytes: &[u8]) -> Vec<String> {
        let mut out = vec![];
        Extractor::new(Default::default(), Ocr::disabled()).extract(
            bytes,
            Some("m.eml"),
            &mut |e| {
                out.push(match e {
                    Event::Text(s) => format!("{}: {}", s.origin, s.text),
                    Event::Skipped { origin, skip } => format!("{origin}: skipped {skip}"),
                })
            },
        );
        out
    }

    #[test]
    fn a_message_too_broken_to_parse_is_still_read_as_text() {
        let t = texts(b"From: =?UT");
        assert_eq!(t, vec![": From: =?UT".to_string()], "{t:?}");
    }
}
