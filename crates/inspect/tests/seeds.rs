//! The agencies' awareness texts (`../shared/seeds/`) talk about 機密 on every page and none of
//! them is classified: the marking detector must stay silent on all of them.

use baomi_inspect::{Kind, Scanner};
use std::path::PathBuf;

fn seeds_dir() -> PathBuf {
    if let Ok(d) = std::env::var("BAOMI_SEEDS") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds")
}

#[test]
fn awareness_texts_are_not_classified() {
    let dir = seeds_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "seed documents expected at {} (set BAOMI_SEEDS): {e}",
            dir.display()
        )
    });
    let scanner = Scanner::new();
    let mut files = 0;
    let mut mentions = 0;
    for e in entries {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        files += 1;
        mentions += text.matches("機密").count();
        let marks: Vec<_> = scanner
            .scan(&text)
            .into_iter()
            .filter(|f| f.kind == Kind::Classification)
            .map(|f| {
                text[text.floor_char_boundary(f.start.saturating_sub(30))
                    ..text.ceil_char_boundary(f.end + 30)]
                    .to_string()
            })
            .collect();
        assert!(
            marks.is_empty(),
            "{}: false classification markings: {marks:#?}",
            path.display()
        );
    }
    assert!(files >= 5, "expected the seed documents, found {files}");
    assert!(
        mentions > 20,
        "the seeds should discuss 機密 often ({mentions})"
    );
}
