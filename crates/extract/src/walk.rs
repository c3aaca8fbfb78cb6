//! One extraction: the budget shared by every nesting level, and the dispatch by format.

use crate::limits::Budget;
use crate::{Event, Extractor, Format, Origin, Segment, Skip, detect};

pub(crate) struct Walk<'e> {
    pub(crate) ex: &'e Extractor,
    pub(crate) budget: Budget,
    emit: &'e mut dyn FnMut(Event<'_>),
    /// Events reported so far.
    reported: usize,
}

impl<'e> Walk<'e> {
    pub(crate) fn new(ex: &'e Extractor, emit: &'e mut dyn FnMut(Event<'_>)) -> Walk<'e> {
        Walk {
            ex,
            budget: Budget::new(&ex.limits),
            emit,
            reported: 0,
        }
    }

    /// Reports text (empty text is dropped).
    pub(crate) fn text(&mut self, origin: &Origin, text: &str, places: &[(usize, crate::Cell)]) {
        if text.trim().is_empty() {
            return;
        }
        self.reported += 1;
        (self.emit)(Event::Text(Segment {
            origin,
            text,
            places,
        }));
    }

    pub(crate) fn skip(&mut self, origin: &Origin, skip: Skip) {
        self.reported += 1;
        (self.emit)(Event::Skipped { origin, skip });
    }

    /// How many events were reported so far.
    pub(crate) fn reported(&self) -> usize {
        self.reported
    }

    /// Reads `bytes` as whatever they are. `origin` already names them.
    pub(crate) fn dispatch(&mut self, bytes: &[u8], name: Option<&str>, origin: &Origin) -> Format {
        let format = detect(bytes, name);
        if origin.depth() > self.budget.limits.max_depth {
            self.skip(
                origin,
                Skip::Depth {
                    limit: self.budget.limits.max_depth,
                },
            );
            return format;
        }
        match format {
            Format::Text => {
                let text = crate::decode::decode_all(bytes);
                self.text(origin, &text, &[]);
                format
            }
            Format::Html => {
                let text = crate::decode::decode_all(bytes);
                let plain = crate::html::to_text(&text);
                self.text(origin, &plain, &[]);
                format
            }
            Format::Eml => {
                crate::mail::extract(self, bytes, origin);
                format
            }
            Format::Zip => crate::zipped::extract(self, bytes, origin),
            f if f.is_image() => {
                crate::ocr::extract(self, bytes, f, origin);
                f
            }
            Format::Pdf => {
                crate::pdf::extract(self, bytes, origin);
                format
            }
            Format::Ole2 => {
                crate::ole::extract(self, bytes, origin);
                format
            }
            Format::SevenZip => {
                crate::sevenz::extract(self, bytes, origin);
                format
            }
            Format::Rar => {
                self.skip(origin, Skip::Unsupported("RAR archive"));
                format
            }
            Format::Gzip => {
                self.skip(origin, Skip::Unsupported("gzip stream"));
                format
            }
            _ => {
                self.skip(origin, Skip::Unsupported("binary data of no known format"));
                format
            }
        }
    }
}
