//! The red layer of a photographed page. Taiwanese offices stamp markings (密, 機密, 密件) in red
//! ink, usually framed by a box; an OCR engine reading the whole page takes the framed stamp for
//! a picture and skips it. So the red pixels are taken apart, the frame is cut off, and the
//! stamp is read on its own as black on white.

use image::GenericImageView;

/// How red a pixel must be: red channel high and clearly above green and blue.
fn is_ink(r: u8, g: u8, b: u8) -> bool {
    r > 110 && i32::from(r) - i32::from(g.max(b)) > 60
}

/// The stamp region of `bytes` (PNG or JPEG) as a binary PGM image for OCR, when there is one.
pub(crate) fn layer(bytes: &[u8]) -> Option<Vec<u8>> {
    let img = image::load_from_memory(bytes).ok()?;
    let (w, h) = img.dimensions();
    let rgb = img.to_rgb8();
    let mut mask = vec![false; (w * h) as usize];
    let mut count = 0usize;
    for (x, y, p) in rgb.enumerate_pixels() {
        if is_ink(p[0], p[1], p[2]) {
            mask[(y * w + x) as usize] = true;
            count += 1;
        }
    }
    // A few hundred pixels of red ink at least; noise and red underlines are not stamps.
    if count < 300 {
        return None;
    }
    let (x0, y0, x1, y1) = bounds(&mask, w, h)?;
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    // A frame puts much of the ink in a thin band along the bounding box; cut it off then.
    let band_x = (bw / 8).max(2);
    let band_y = (bh / 6).max(2);
    let mut in_band = 0usize;
    let mut total = 0usize;
    for y in y0..=y1 {
        for x in x0..=x1 {
            if mask[(y * w + x) as usize] {
                total += 1;
                if x < x0 + band_x || x > x1 - band_x || y < y0 + band_y || y > y1 - band_y {
                    in_band += 1;
                }
            }
        }
    }
    let framed = in_band * 100 > total * 45;
    let (cx0, cy0, cx1, cy1) = if framed {
        (x0 + band_x, y0 + band_y, x1 - band_x, y1 - band_y)
    } else {
        (x0, y0, x1, y1)
    };
    if cx1 <= cx0 || cy1 <= cy0 {
        return None;
    }
    // Black ink on white with a margin, as OCR engines like it.
    let margin = 20;
    let (ow, oh) = (cx1 - cx0 + 1 + 2 * margin, cy1 - cy0 + 1 + 2 * margin);
    let mut pgm = format!("P5\n{ow} {oh}\n255\n").into_bytes();
    let start = pgm.len();
    pgm.resize(start + (ow * oh) as usize, 255);
    for y in cy0..=cy1 {
        for x in cx0..=cx1 {
            if mask[(y * w + x) as usize] {
                let (ox, oy) = (x - cx0 + margin, y - cy0 + margin);
                pgm[start + (oy * ow + ox) as usize] = 0;
            }
        }
    }
    Some(pgm)
}

/// Bounding box of the rows and columns that hold at least a few ink pixels.
fn bounds(mask: &[bool], w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    let mut rows = vec![0u32; h as usize];
    let mut cols = vec![0u32; w as usize];
    for y in 0..h {
        for x in 0..w {
            if mask[(y * w + x) as usize] {
                rows[y as usize] += 1;
                cols[x as usize] += 1;
            }
        }
    }
    let span = |v: &[u32]| {
        let first = v.iter().position(|c| *c >= 3)?;
        let last = v.iter().rposition(|c| *c >= 3)?;
        Some((first as u32, last as u32))
    };
    let (y0, y1) = span(&rows)?;
    let (x0, x1) = span(&cols)?;
    Some((x0, y0, x1, y1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, paint: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb(paint(x, y)));
        let mut out = std::io::Cursor::new(vec![]);
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_framed_red_stamp_is_cut_out_of_its_frame() {
        // A frame from (100,50) to (299,149), 4 px thick, and a red block inside as "ink".
        let page = png(400, 200, |x, y| {
            let frame = (100..300).contains(&x)
                && (50..150).contains(&y)
                && (!(104..296).contains(&x) || !(54..146).contains(&y));
            // Strokes, not a solid block: glyphs cover a fraction of their box.
            let ink = (150..250).contains(&x) && (80..120).contains(&y) && y % 3 == 0;
            if frame || ink {
                [220, 30, 30]
            } else {
                [250, 250, 250]
            }
        });
        let pgm = layer(&page).expect("a stamp");
        let header_end = pgm.windows(4).position(|w| w == b"255\n").unwrap() + 4;
        let dims: Vec<u32> = std::str::from_utf8(&pgm[3..header_end - 4])
            .unwrap()
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        // The frame is gone: the image is the inner part plus the margin.
        assert!(dims[0] < 200 + 40 && dims[1] < 100 + 40, "{dims:?}");
        let black = pgm[header_end..].iter().filter(|p| **p == 0).count();
        assert_eq!(black, 100 * 13, "all the ink and none of the frame");
    }

    #[test]
    fn black_text_and_specks_are_not_stamps() {
        let page = png(300, 100, |x, y| {
            if (x + y) % 7 == 0 {
                [0, 0, 0]
            } else {
                [255, 255, 255]
            }
        });
        assert!(layer(&page).is_none());
        let specks = png(300, 100, |x, y| {
            if x % 50 == 0 && y % 50 == 0 {
                [255, 0, 0]
            } else {
                [255, 255, 255]
            }
        });
        assert!(layer(&specks).is_none());
    }
}
