#![deny(missing_docs)]
//! Visible marks burned into files as they leave the server: the viewer's name, unit, the time
//! and a trace code, repeated diagonally across every image and every PDF page. No client can
//! stop a screenshot or a forward, but a copy that surfaces names who took it out.
//!
//! Images (PNG, JPEG) are drawn on with a CJK font found on the server (Noto CJK, AR PL, WenQuanYi
//! or `mark_font` in `messenger.toml`); without one, images cannot carry a Chinese name and are
//! served unmarked, which the download's audit record says. PDFs need no font file: the mark is
//! text in Adobe's predefined Traditional-Chinese font (MSung-Light, UniCNS-UCS2-H), which every
//! reader substitutes with its own CJK font, drawn over each page in a form of its own.

mod pdf;
mod raster;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Fonts tried in order when no `mark_font` is configured (Debian, Fedora, Arch paths).
const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
];

/// What happened to a file on its way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The mark is in the returned bytes.
    Marked,
    /// Not a kind of file that carries a mark (office documents, archives ...).
    NotMarkable,
    /// An image, but the server has no CJK font to draw with.
    NoFont,
    /// The file could not be rewritten (a damaged or encrypted file); it goes out as stored.
    Failed(String),
}

impl Outcome {
    /// Stable name for audit records.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Marked => "marked",
            Outcome::NotMarkable => "not_markable",
            Outcome::NoFont => "no_font",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// Burns marks into images and PDFs. Cheap to clone; the font is read on first use.
#[derive(Clone)]
pub struct Marker {
    font_path: Option<PathBuf>,
    font: Arc<OnceLock<Option<ab_glyph::FontVec>>>,
}

impl Marker {
    /// A marker drawing with `font` (a TrueType/OpenType file or collection), or with the first
    /// CJK font found in the usual places.
    pub fn new(font: Option<&Path>) -> Marker {
        let font_path = match font {
            Some(p) => Some(p.to_path_buf()),
            None => FONT_CANDIDATES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file()),
        };
        Marker {
            font_path,
            font: Arc::new(OnceLock::new()),
        }
    }

    /// The font file images are drawn with, if any.
    pub fn font_path(&self) -> Option<&Path> {
        self.font_path.as_deref()
    }

    fn font(&self) -> Option<&ab_glyph::FontVec> {
        self.font
            .get_or_init(|| {
                let path = self.font_path.as_ref()?;
                let data = std::fs::read(path)
                    .map_err(|e| tracing::warn!("mark font {}: {e}", path.display()))
                    .ok()?;
                ab_glyph::FontVec::try_from_vec_and_index(data, 0)
                    .map_err(|e| tracing::warn!("mark font {}: {e}", path.display()))
                    .ok()
            })
            .as_ref()
    }

    /// `bytes` with `text` burned in, when it is an image or a PDF; otherwise `bytes` unchanged.
    /// The kind is read from the content, never from the name.
    pub fn apply(&self, bytes: Vec<u8>, text: &str) -> (Vec<u8>, Outcome) {
        let result = if bytes.starts_with(b"%PDF-") {
            guarded(|| pdf::mark(&bytes, text))
        } else if raster::is_image(&bytes) {
            let Some(font) = self.font() else {
                return (bytes, Outcome::NoFont);
            };
            guarded(|| raster::mark(&bytes, font, text))
        } else {
            return (bytes, Outcome::NotMarkable);
        };
        match result {
            Ok(out) => (out, Outcome::Marked),
            Err(e) => (bytes, Outcome::Failed(e)),
        }
    }
}

/// The parsers read files members uploaded; a panic in one of them is a damaged file, not a
/// failed request.
fn guarded(f: impl FnOnce() -> Result<Vec<u8>, String>) -> Result<Vec<u8>, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err("the file's parser failed".into()))
}

#[cfg(test)]
mod tests;
