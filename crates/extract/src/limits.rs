//! Limits against hostile files, and the reasons content was not inspected.
//!
//! A limit hit never fails the whole file: the extractor reports what it could not read as a
//! [`Skip`] and goes on with the rest, so that policy can decide (chat and mail block content
//! that was not inspected).

use std::fmt;
use std::time::Duration;

/// Bounds on the work and memory one input may cost. The defaults suit documents agencies
/// exchange; all of them are configurable.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest input file read into memory (bytes).
    pub max_input: u64,
    /// Total bytes produced by decompression for one input, over all nested members.
    pub max_total: u64,
    /// Largest compression ratio of one member, checked once it has produced 1 MiB.
    pub max_ratio: u64,
    /// Containers (archives, documents, attached messages) nested in each other.
    pub max_depth: usize,
    /// Archive members and attachments for one input, over all nesting levels.
    pub max_members: usize,
    /// Element nesting in one XML part.
    pub max_xml_depth: usize,
    /// Pages of one PDF.
    pub max_pages: usize,
    /// Pixels of one image sent to OCR.
    pub max_pixels: u64,
    /// Time OCR may take on one image.
    pub ocr_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input: 512 << 20,
            max_total: 1 << 30,
            max_ratio: 200,
            max_depth: 8,
            max_members: 10_000,
            max_xml_depth: 512,
            max_pages: 5_000,
            max_pixels: 50_000_000,
            ocr_timeout: Duration::from_secs(60),
        }
    }
}

/// Why some content was not inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Larger than [`Limits::max_input`] or the remaining [`Limits::max_total`].
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A member decompresses more than [`Limits::max_ratio`] times its stored size.
    Ratio {
        /// The limit.
        limit: u64,
    },
    /// Nested deeper than [`Limits::max_depth`] (or, in XML, [`Limits::max_xml_depth`]).
    Depth {
        /// The limit.
        limit: usize,
    },
    /// More members than [`Limits::max_members`]; the rest were not opened.
    Members {
        /// The limit.
        limit: usize,
    },
    /// More pages than [`Limits::max_pages`]; the rest were not read.
    Pages {
        /// The limit.
        limit: usize,
    },
    /// An image larger than [`Limits::max_pixels`].
    Pixels {
        /// Width.
        width: u64,
        /// Height.
        height: u64,
    },
    /// XML that declares its own entities (never expanded: the text behind them is unread).
    XmlEntities,
    /// Encrypted or password-protected.
    Encrypted,
    /// Damaged or not what it claims to be.
    Corrupt(String),
    /// A format the extractor does not read.
    Unsupported(&'static str),
    /// A PDF page without a text layer (a scan): it needs OCR.
    NoTextLayer,
    /// OCR is not available (not built in, or the engine is not installed).
    OcrUnavailable(String),
    /// OCR took longer than [`Limits::ocr_timeout`].
    OcrTimeout,
}

impl Skip {
    /// Stable code for programs (JSON output, policies).
    pub fn code(&self) -> &'static str {
        match self {
            Skip::TooLarge { .. } => "too_large",
            Skip::Ratio { .. } => "compression_ratio",
            Skip::Depth { .. } => "nesting",
            Skip::Members { .. } => "members",
            Skip::Pages { .. } => "pages",
            Skip::Pixels { .. } => "pixels",
            Skip::XmlEntities => "xml_entities",
            Skip::Encrypted => "encrypted",
            Skip::Corrupt(_) => "corrupt",
            Skip::Unsupported(_) => "unsupported",
            Skip::NoTextLayer => "no_text_layer",
            Skip::OcrUnavailable(_) => "ocr_unavailable",
            Skip::OcrTimeout => "ocr_timeout",
        }
    }

    /// The reason in Traditional Chinese, for the people who see the decision.
    pub fn zh(&self) -> String {
        match self {
            Skip::TooLarge { limit } => format!("內容超過大小上限 {} MiB，未檢查", limit >> 20),
            Skip::Ratio { limit } => format!("壓縮比超過 {limit} 倍（疑似壓縮炸彈），未檢查"),
            Skip::Depth { limit } => format!("巢狀層數超過 {limit} 層，未檢查"),
            Skip::Members { limit } => format!("壓縮檔成員超過 {limit} 個，其餘未檢查"),
            Skip::Pages { limit } => format!("頁數超過 {limit} 頁，其餘未檢查"),
            Skip::Pixels { width, height } => format!("圖片 {width}x{height} 過大，未辨識"),
            Skip::XmlEntities => "XML 自訂實體未展開，其內容未檢查".into(),
            Skip::Encrypted => "檔案已加密，無法檢查".into(),
            Skip::Corrupt(why) => format!("檔案損毀，無法檢查（{why}）"),
            Skip::Unsupported(what) => format!("不支援的格式（{what}），未檢查"),
            Skip::NoTextLayer => "此頁沒有文字層（掃描影像），需以 OCR 檢查".into(),
            Skip::OcrUnavailable(why) => format!("無法進行文字辨識（{why}），圖片未檢查"),
            Skip::OcrTimeout => "文字辨識逾時，圖片未檢查".into(),
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::TooLarge { limit } => write!(f, "larger than the limit of {limit} bytes"),
            Skip::Ratio { limit } => {
                write!(f, "compression ratio above {limit} (a decompression bomb?)")
            }
            Skip::Depth { limit } => write!(f, "nested deeper than {limit} levels"),
            Skip::Members { limit } => write!(f, "more than {limit} members; the rest not opened"),
            Skip::Pages { limit } => write!(f, "more than {limit} pages; the rest not read"),
            Skip::Pixels { width, height } => {
                write!(f, "image of {width}x{height} pixels is above the limit")
            }
            Skip::XmlEntities => {
                f.write_str("XML declares its own entities; they are not expanded")
            }
            Skip::Encrypted => f.write_str("encrypted"),
            Skip::Corrupt(why) => write!(f, "damaged: {why}"),
            Skip::Unsupported(what) => write!(f, "{what} is not a format the extractor reads"),
            Skip::NoTextLayer => f.write_str("page has no text layer (a scan); it needs OCR"),
            Skip::OcrUnavailable(why) => write!(f, "OCR unavailable: {why}"),
            Skip::OcrTimeout => f.write_str("OCR timed out"),
        }
    }
}

/// What one input may still spend; shared by every nesting level.
#[derive(Debug)]
pub(crate) struct Budget {
    pub(crate) limits: Limits,
    /// Decompressed bytes left.
    pub(crate) bytes_left: u64,
    /// Members left.
    pub(crate) members_left: usize,
    /// Whether the members limit was already reported.
    pub(crate) members_reported: bool,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Budget {
        Budget {
            limits: limits.clone(),
            bytes_left: limits.max_total,
            members_left: limits.max_members,
            members_reported: false,
        }
    }
}
