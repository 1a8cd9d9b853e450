//! The word lists (`data/lexicon.txt`, `data/common-words.txt`), parsed once per process.

use super::normalize::{Lexicon, LEXICON_TEXT};
use super::normalize::FastSet as HashSet;
use std::sync::OnceLock;

pub(crate) fn lexicon() -> &'static Lexicon {
    static LX: OnceLock<Lexicon> = OnceLock::new();
    LX.get_or_init(|| Lexicon::parse(LEXICON_TEXT))
}

/// Ordinary English words: a brand that is one of them needs corroboration.
pub(crate) fn common_words() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        include_str!("data/common-words.txt").lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
    })
}

/// Words of company names that say nothing about which company ("Technologies", "Labs").
pub(crate) struct Filler;

impl Filler {
    const WORDS: &'static [&'static str] = &[
        "technologies", "technology", "tech", "software", "systems", "system", "labs", "lab", "solutions", "services",
        "service", "group", "holdings", "holding", "networks", "network", "digital", "online", "cloud", "data", "io",
        "app", "apps", "hq", "platforms", "platform", "computing", "internet", "interactive", "ventures", "enterprises",
        "operations", "sales", "distribution", "management", "international", "global", "web", "ai", "dba", "ta",
        "trading", "the", "communications", "media", "products", "hub",
    ];
    pub fn contains(t: &str) -> bool {
        Self::WORDS.contains(&t)
    }
}
