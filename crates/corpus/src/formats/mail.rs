//! E-mail (RFC 5322 + MIME, encoded words for Chinese headers) and HTML.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::fmt::Write as _;

fn encoded_word(s: &str) -> String {
    format!("=?UTF-8?B?{}?=", STANDARD.encode(s))
}

fn base64_lines(data: &[u8]) -> String {
    let b = STANDARD.encode(data);
    let mut out = String::with_capacity(b.len() + b.len() / 76 * 2);
    for chunk in b.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push_str("\r\n");
    }
    out
}

/// A message from a clerk to two colleagues with `text` as its body (base64, UTF-8) and the
/// given attachments.
pub fn eml(text: &str, attachments: &[(&str, &[u8])]) -> Vec<u8> {
    let mut m = String::new();
    let _ = write!(
        m,
        "From: {} <clerk@agency.gov.tw>\r\nTo: {} <chen@agency.gov.tw>, lin@agency.gov.tw\r\nSubject: {}\r\nDate: Fri, 27 Nov 2026 09:30:00 +0800\r\nMessage-ID: <corpus-1@agency.gov.tw>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_b1\"\r\n\r\n",
        encoded_word("承辦人"),
        encoded_word("陳科長"),
        encoded_word("會議資料"),
    );
    let _ = write!(
        m,
        "--=_b1\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(text.replace('\n', "\r\n").as_bytes())
    );
    for (name, data) in attachments {
        let _ = write!(
            m,
            "--=_b1\r\nContent-Type: application/octet-stream; name=\"{0}\"\r\nContent-Disposition: attachment; filename=\"{0}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{1}",
            encoded_word(name),
            base64_lines(data)
        );
    }
    m.push_str("--=_b1--\r\n");
    m.into_bytes()
}

/// A web page with one paragraph per line, markup-significant characters as references.
pub fn html(text: &str) -> Vec<u8> {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"zh-Hant-TW\"><head><meta charset=\"utf-8\"><title>回覆</title><style>p{margin:0}</style></head><body>\n",
    );
    for line in text.lines() {
        s.push_str("<p>");
        for c in line.chars() {
            match c {
                '&' => s.push_str("&amp;"),
                '<' => s.push_str("&lt;"),
                '>' => s.push_str("&gt;"),
                ' ' => s.push_str("&nbsp;"),
                c => s.push(c),
            }
        }
        s.push_str("</p>\n");
    }
    s.push_str("</body></html>\n");
    s.into_bytes()
}
