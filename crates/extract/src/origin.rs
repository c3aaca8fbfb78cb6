//! Where a piece of text came from inside a file: archive members, attachments, parts of a
//! document, pages, slides and sheets, shown as `會議資料.zip > 附件2.docx > page 3`.

use std::fmt;

/// A part of a document, as people name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Main text.
    Body,
    /// Page headers.
    Header,
    /// Page footers.
    Footer,
    /// Comments / annotations.
    Comments,
    /// Footnotes.
    Footnotes,
    /// Endnotes.
    Endnotes,
    /// Speaker notes of a slide.
    Notes,
    /// Document properties (title, author, keywords, custom properties).
    Properties,
    /// E-mail header fields (subject, sender, recipients).
    MailHeaders,
    /// A stamp (red ink) on a photographed or scanned page, read on its own.
    Stamp,
}

impl Section {
    /// Stable English name.
    pub fn name(self) -> &'static str {
        match self {
            Section::Body => "body",
            Section::Header => "header",
            Section::Footer => "footer",
            Section::Comments => "comments",
            Section::Footnotes => "footnotes",
            Section::Endnotes => "endnotes",
            Section::Notes => "notes",
            Section::Properties => "properties",
            Section::MailHeaders => "mail headers",
            Section::Stamp => "stamp",
        }
    }
}

/// One step of an [`Origin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A member of an archive, by its path inside the archive.
    Member(String),
    /// An e-mail attachment, by its file name.
    Attachment(String),
    /// A part of a document.
    Section(Section),
    /// A page (1-based).
    Page(u32),
    /// A slide (1-based).
    Slide(u32),
    /// A worksheet, by name.
    Sheet(String),
    /// An image inside a document, read by OCR.
    Image(String),
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Member(n) | Part::Attachment(n) | Part::Image(n) => f.write_str(n),
            Part::Section(s) => f.write_str(s.name()),
            Part::Page(n) => write!(f, "page {n}"),
            Part::Slide(n) => write!(f, "slide {n}"),
            Part::Sheet(n) => write!(f, "sheet {n}"),
        }
    }
}

/// The path from the file given to the extractor down to one piece of text. Empty for the
/// file's own text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin(Vec<Part>);

impl Origin {
    /// The steps, outermost first.
    pub fn parts(&self) -> &[Part] {
        &self.0
    }

    /// Whether this is the file itself.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This origin with one more step.
    pub fn with(&self, p: Part) -> Origin {
        let mut v = self.0.clone();
        v.push(p);
        Origin(v)
    }

    /// How many containers (archives, documents, messages) deep this is.
    pub fn depth(&self) -> usize {
        self.0
            .iter()
            .filter(|p| matches!(p, Part::Member(_) | Part::Attachment(_)))
            .count()
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" > ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_path_people_read() {
        let o = Origin::default()
            .with(Part::Member("附件2.docx".into()))
            .with(Part::Section(Section::Header));
        assert_eq!(o.to_string(), "附件2.docx > header");
        assert_eq!(o.depth(), 1);
        assert!(Origin::default().is_root());
        let s = Origin::default()
            .with(Part::Sheet("名冊".into()))
            .with(Part::Page(3));
        assert_eq!(s.to_string(), "sheet 名冊 > page 3");
    }
}
