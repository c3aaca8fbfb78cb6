//! Marks drawn into PNG and JPEG images: the text is rasterised once into a strip, and every
//! pixel of the image looks up the strip through a rotation, so the mark tiles the whole image
//! diagonally at any size.

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use image::{DynamicImage, ImageFormat, ImageReader, Limits, Rgba};
use std::io::Cursor;

/// Largest image marked, per side and in bytes decoded: a hostile file must not take the server.
const MAX_SIDE: u32 = 16_384;
const MAX_DECODED: u64 = 512 << 20;
/// How much of the mark's colour covers the picture.
const OPACITY: f32 = 0.30;

pub(super) fn is_image(bytes: &[u8]) -> bool {
    matches!(
        image::guess_format(bytes),
        Ok(ImageFormat::Png | ImageFormat::Jpeg)
    )
}

/// The text as a coverage strip (one byte per pixel), `px` high.
struct Strip {
    w: usize,
    h: usize,
    cov: Vec<u8>,
}

fn strip(font: &FontVec, text: &str, px: f32) -> Strip {
    let scale = PxScale::from(px);
    let f = font.as_scaled(scale);
    let mut glyphs = vec![];
    let mut x = 0.0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            x += f.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(scale, point(x, f.ascent())));
        x += f.h_advance(id);
        prev = Some(id);
    }
    let w = x.ceil().max(1.0) as usize;
    let h = (f.ascent() - f.descent()).ceil().max(1.0) as usize;
    let mut cov = vec![0u8; w * h];
    for g in glyphs {
        if let Some(o) = font.outline_glyph(g) {
            let b = o.px_bounds();
            o.draw(|gx, gy, c| {
                let (x, y) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                if (0..w as i64).contains(&x) && (0..h as i64).contains(&y) {
                    let p = &mut cov[y as usize * w + x as usize];
                    *p = (*p).max((c.clamp(0.0, 1.0) * 255.0) as u8);
                }
            });
        }
    }
    Strip { w, h, cov }
}

pub(super) fn mark(bytes: &[u8], font: &FontVec, text: &str) -> Result<Vec<u8>, String> {
    let format = image::guess_format(bytes).map_err(|e| e.to_string())?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| e.to_string())?;
    let mut img = decoded.to_rgba8();
    let (w, h) = img.dimensions();
    // Text about 1/24 of the shorter side, readable on a phone photo and a scan alike.
    let px = (w.min(h) as f32 / 24.0).clamp(12.0, 96.0);
    let s = strip(font, text, px);
    let (period_u, period_v) = (s.w as f32 + px * 3.0, s.h as f32 * 4.0);
    let (sin, cos) = (-30f32).to_radians().sin_cos();
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (xf, yf) = (x as f32, y as f32);
        let u = xf * cos + yf * sin;
        let v = -xf * sin + yf * cos;
        let row = (v / period_v).floor();
        // Every other row shifted by half a period, so rows do not line up into columns.
        let shift = if row as i64 % 2 == 0 {
            0.0
        } else {
            period_u / 2.0
        };
        let pu = (u + shift).rem_euclid(period_u) as usize;
        let pv = v.rem_euclid(period_v) as usize;
        if pu >= s.w || pv >= s.h {
            continue;
        }
        let c = s.cov[pv * s.w + pu];
        if c == 0 {
            continue;
        }
        let a = f32::from(c) / 255.0 * OPACITY;
        let Rgba([r, g, b, alpha]) = *p;
        // Dark on light, light on dark: the mark must show on a white page and a night photo.
        let lum = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
        let ink = if lum > 110.0 { 40.0 } else { 235.0 };
        let mix = |v: u8| (f32::from(v) * (1.0 - a) + ink * a).round() as u8;
        *p = Rgba([mix(r), mix(g), mix(b), alpha.max((a * 255.0) as u8)]);
    }
    let mut out = Cursor::new(Vec::with_capacity(bytes.len()));
    match format {
        ImageFormat::Jpeg => {
            let rgb = DynamicImage::ImageRgba8(img).to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
                .encode_image(&rgb)
                .map_err(|e| e.to_string())?;
        }
        _ => DynamicImage::ImageRgba8(img)
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|e| e.to_string())?,
    }
    Ok(out.into_inner())
}
