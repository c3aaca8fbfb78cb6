//! Classification markings (密等), as official documents carry them:
//! - the 密等 field: 「密等及解密條件或保密期限：機密（113年12月31日解密）」, 「密等：密」;
//! - a marking line or stamp standing alone at the head or foot: 「機密（限閱）」, 「【極機密】」, 「密件」.
//!
//! Talk about secrecy is not a marking: 「公務機密維護」, 「屬機密文件應妥善保管」 and every other
//! sentence of the awareness texts mention 機密 inside prose. Only a field or a line of its own counts.

use crate::finding::{Finding, Kind, Level};
use crate::fold::Folded;
use regex::Regex;

/// Longest line examined around a 密; a marking line is short.
const MAX_LINE: usize = 600;

pub(crate) struct MarkingDetector {
    field: Regex,
    line: Regex,
}

const LEVELS: &str = r"(?P<level>絕\s*對\s*機\s*密|極\s*機\s*密|機\s*密|密)";

impl MarkingDetector {
    pub fn new() -> Self {
        let field = format!(
            r"(?:密\s*等(?:\s*及\s*解\s*密\s*條\s*件(?:\s*或\s*保\s*密\s*期\s*限)?)?|機密等級|密\s*級)\s*[:：]?\s*[(（]?\s*{LEVELS}(?:\s*件)?"
        );
        let line = format!(
            r"^[\s#>*|]*[【〔\[(（「『]?\s*{LEVELS}\s*(?:件|文件)?\s*[】〕\])）」』]?\s*(?:[(（][^)）\n]{{0,40}}[)）])?[\s*|]*$"
        );
        MarkingDetector {
            field: Regex::new(&field).expect("field"),
            line: Regex::new(&line).expect("line"),
        }
    }

    /// Markings on the line around byte `pos` (a 密). Returns the end of the line examined.
    pub fn at(&self, text: &str, pos: usize, folded: &mut Folded, out: &mut Vec<Finding>) -> usize {
        // Line bounds, looked for no further than a marking line can be long: a text of one huge
        // line full of 密 must not be searched end to end for every 密.
        let b = text.as_bytes();
        let lo = pos.saturating_sub(MAX_LINE + 1);
        let hi = (pos + MAX_LINE + 1).min(b.len());
        let ls = match memchr::memrchr(b'\n', &b[lo..pos]) {
            Some(i) => lo + i + 1,
            None if lo == 0 => 0,
            None => lo.saturating_sub(1), // farther than MAX_LINE: "long line"
        };
        let le = match memchr::memchr(b'\n', &b[pos..hi]) {
            Some(i) => pos + i,
            None if hi == b.len() => b.len(),
            None => hi + 1,
        };
        let (ws, we) = if le - ls > MAX_LINE {
            (
                text.floor_char_boundary(pos.saturating_sub(60).max(ls)),
                text.ceil_char_boundary((pos + 60).min(le).min(b.len())),
            )
        } else {
            (ls, le)
        };
        let whole_line = ws == ls && we == le;
        // Cheap necessary conditions first: most 密 sit in prose, where folding the line and
        // running both patterns over it was a sixth of a scan. Folding never makes or changes
        // the characters tested here, so the original text can be asked.
        let could_be_line = whole_line && starts_like_marking_line(&text[ls..le]);
        let window = &b[ws..we];
        let could_be_field = crate::fold::has(window, "等") || crate::fold::has(window, "級");
        if !could_be_line && !could_be_field {
            return we.max(pos + 1);
        }
        folded.fold(text, ws, we);
        let t = folded.text();
        if could_be_line
            && self.line.is_match(t)
            && let Some(c) = self.line.captures(t)
        {
            let m = c.name("level").expect("level group");
            if let Some(level) = Level::parse(&m.as_str().replace(char::is_whitespace, "")) {
                let mut f = Finding::new(
                    Kind::Classification,
                    folded.orig(m.start()),
                    folded.orig_end(m.end()),
                    0.95,
                    "marking_line",
                );
                // 「密件」 alone marks a classified document whose level the line does not say.
                if c.get(0).is_some_and(|all| all.as_str().contains('件')) && level == Level::Mi {
                    f.rule = "secret_document_mark";
                    f.confidence = 0.9;
                }
                f.level = Some(level);
                out.push(f);
                return le;
            }
        }
        // The fast engines answer "is there a field at all?"; captures only run when there is.
        if !could_be_field || !self.field.is_match(t) {
            return we.max(pos + 1);
        }
        for c in self.field.captures_iter(t) {
            let m = c.name("level").expect("level group");
            let Some(level) = Level::parse(&m.as_str().replace(char::is_whitespace, "")) else {
                continue;
            };
            let all = c.get(0).expect("match");
            let mut f = Finding::new(
                Kind::Classification,
                folded.orig(all.start()),
                folded.orig_end(m.end()),
                0.99,
                "classification_field",
            );
            f.level = Some(level);
            out.push(f);
        }
        we.max(pos + 1)
    }
}

/// Whether `line` begins as the `line` pattern requires: after `[\s#>*|]*`, an optional opening
/// bracket and white space, a level's first character (絕, 極, 機 or 密). Chars are folded as the
/// pattern sees them.
fn starts_like_marking_line(line: &str) -> bool {
    let mut chars = line.chars().map(crate::fold::fold_char).peekable();
    while chars
        .next_if(|c| c.is_whitespace() || matches!(c, '#' | '>' | '*' | '|'))
        .is_some()
    {}
    chars.next_if(|c| matches!(c, '【' | '〔' | '[' | '(' | '（' | '「' | '『'));
    while chars.next_if(|c| c.is_whitespace()).is_some() {}
    matches!(chars.next(), Some('絕' | '極' | '機' | '密'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Vec<(Level, &'static str)> {
        let d = MarkingDetector::new();
        let mut f = Folded::default();
        let mut out = vec![];
        let mut from = 0;
        while let Some(i) = text[from..].find('密') {
            from = d.at(text, from + i, &mut f, &mut out).max(from + i + 3);
        }
        out.iter().map(|f| (f.level.unwrap(), f.rule)).collect()
    }

    #[test]
    fn fields_and_lines() {
        assert_eq!(
            scan("密等及解密條件或保密期限：機密（113年12月31日解密）"),
            vec![(Level::Jimi, "classification_field")]
        );
        assert_eq!(scan("密等：密"), vec![(Level::Mi, "classification_field")]);
        assert_eq!(
            scan("標題\n極機密（限閱）\n內容"),
            vec![(Level::Jijimi, "marking_line")]
        );
        assert_eq!(scan("【絕對機密】"), vec![(Level::Juedui, "marking_line")]);
        assert_eq!(scan("密件"), vec![(Level::Mi, "secret_document_mark")]);
    }

    #[test]
    fn fields_inside_very_long_lines_are_found_by_window() {
        let pad = "公務資料".repeat(200);
        let text = format!("{pad}密等：機密{pad}");
        assert_eq!(scan(&text), vec![(Level::Jimi, "classification_field")]);
        // A long line of nothing but 密 is neither a field nor a marking line.
        assert!(scan(&"密".repeat(5000)).is_empty());
        // A marking line right after a very long line is still a line of its own.
        let text = format!("{pad}{pad}\n機密（限閱）\n");
        assert_eq!(scan(&text), vec![(Level::Jimi, "marking_line")]);
    }

    #[test]
    fn the_line_precheck_admits_every_line_the_pattern_can_match() {
        for line in [
            "機密",
            "  ＃ ＞ 【 極 機 密 】",
            "*| （絕對機密）",
            "\u{3000}「密件」",
            "［機密］（限閱）",
        ] {
            assert!(starts_like_marking_line(line), "{line}");
        }
        for line in ["公務機密維護", "## 內容 機密", "【【機密】】", "x機密"] {
            assert!(!starts_like_marking_line(line), "{line}");
        }
        // Full-width brackets and marks are folded before the pattern sees them.
        assert_eq!(scan("＃［機密］"), vec![(Level::Jimi, "marking_line")]);
        assert_eq!(
            scan("密　級：極機密"),
            vec![(Level::Jijimi, "classification_field")]
        );
    }

    #[test]
    fn discussion_is_not_a_marking() {
        assert!(scan("公務機密維護，屬機密文件應妥善保管。").is_empty());
        assert!(scan("密等及解密條件或保密期限：普通").is_empty());
        assert!(scan("將該密件公文分別傳真至各外勤單位").is_empty());
    }
}
