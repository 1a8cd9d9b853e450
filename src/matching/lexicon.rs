//! The word lists (`data/lexicon.txt`, `data/common-words.txt`), parsed once per process.

use super::normalize::{Lexicon, LEXICON_TEXT};
use std::sync::OnceLock;

pub(crate) fn lexicon() -> &'static Lexicon {
    static LX: OnceLock<Lexicon> = OnceLock::new();
    LX.get_or_init(|| Lexicon::parse(LEXICON_TEXT))
}

/// Ordinary English words: a brand that is one of them needs corroboration.
pub(crate) fn is_common_word(w: &str) -> bool {
    // Asked only of words the compiled catalog does not already know. `build.rs` front-codes
    // `data/common-words.txt` (sorted): decoded on first use into one string and word offsets.
    static WORDS: OnceLock<(String, Vec<u32>)> = OnceLock::new();
    let (text, starts) = WORDS.get_or_init(|| {
        let fc: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/common-words.fc"));
        let mut text: Vec<u8> = Vec::with_capacity(fc.len() * 2);
        let mut starts = Vec::new();
        let mut prev_start = 0usize;
        let mut i = 0;
        while i < fc.len() {
            let shared = fc[i] as usize;
            i += 1;
            let start = text.len();
            text.extend_from_within(prev_start..prev_start + shared);
            while i < fc.len() && fc[i] >= 32 {
                text.push(fc[i]);
                i += 1;
            }
            starts.push(start as u32);
            prev_start = start;
        }
        starts.push(text.len() as u32);
        (
            String::from_utf8(text).expect("build.rs wrote UTF-8 words"),
            starts,
        )
    });
    let n = starts.len() - 1;
    let word = |k: usize| &text[starts[k] as usize..starts[k + 1] as usize];
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match word(mid).cmp(w) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}
