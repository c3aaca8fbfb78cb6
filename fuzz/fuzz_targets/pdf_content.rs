//! Arbitrary bytes as the content stream of a one-page PDF whose font has a ToUnicode map (the
//! first input byte picks whether the map comes from the input too), through the extractor:
//! the content lexer, the font cache and the memoised map lookups. No panic, no hang, and every
//! text delivered is valid with ascending places.
#![no_main]

use baomi_extract::{Event, Extractor, Limits, Ocr};
use libfuzzer_sys::fuzz_target;
use lopdf::{Document, Object, Stream, dictionary};

const CMAP: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
2 beginbfchar <0001> <6A5F> <0002> <5BC6> endbfchar\n\
1 beginbfrange <0100> <01FF> <4E00> endbfrange\n\
endcmap CMapName currentdict /CMap defineresource pop end end";

fn pdf(content: &[u8], cmap: &[u8]) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap.to_vec()));
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "F",
        "Encoding" => "Identity-H", "ToUnicode" => to_unicode,
    });
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = vec![];
    doc.save_to(&mut out).expect("in-memory PDF");
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let (content, cmap) = if pick % 4 == 0 {
        let cut = rest.len() / 2;
        (&rest[..cut], &rest[cut..])
    } else {
        (rest, CMAP)
    };
    let bytes = pdf(content, cmap);
    let limits = Limits { max_total: 8 << 20, max_pages: 4, ..Limits::default() };
    let ex = Extractor::new(limits, Ocr::disabled());
    ex.extract(&bytes, Some("a.pdf"), &mut |e| {
        if let Event::Text(s) = e {
            assert!(s.places.windows(2).all(|w| w[0].0 <= w[1].0));
            assert!(s.places.iter().all(|p| p.0 <= s.text.len()));
        }
    });
});
