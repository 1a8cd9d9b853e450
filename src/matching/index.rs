//! The catalog compiled for matching, as lookup tables: one word table (every word the matcher
//! knows, with its flags), a trie of aliases over word ids, a domain table, the families'
//! vocabularies and a typo index. Built from [`IndexData`] (decoded from bytes `build.rs`
//! embedded, for the shipped catalog, or compiled at run time for a caller's); the cost of
//! analysing a text depends on the text, not on the size of the catalog.

use super::compiled::*;
use super::lexicon::{is_common_word, lexicon};
use super::normalize::{tokenize, Token, TokenKind};
use crate::fastmap::FastMap as HashMap;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::{Mutex, OnceLock};

/// "Not a word of the table".
pub(crate) const NO_WORD: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnerKind {
    App,
    Group,
    Reseller,
}

/// An entry of the catalog that text can point at.
pub(crate) struct Owner {
    pub kind: OwnerKind,
    /// Owners of one family (a vendor group and its apps) share this number.
    pub family: u32,
    /// Borrowed from the shipped catalog's bytes, or a caller's catalog's own.
    pub id: Cow<'static, str>,
    pub name: Cow<'static, str>,
    /// Apps only.
    pub category: Cow<'static, str>,
    pub marketplace: bool,
    /// Vendor groups: the owner of the app their invoices are when no line names one.
    pub default_owner: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AliasKind {
    VendorEntity,
    Name,
    Keyword,
    Product,
    Domain,
}

impl AliasKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AliasKind::VendorEntity => "vendorEntity",
            AliasKind::Name => "name",
            AliasKind::Keyword => "keyword",
            AliasKind::Product => "product",
            AliasKind::Domain => "domain",
        }
    }
}

/// An alias's kind and flags, as [`Index::alias`] reads them from its meta byte (its owner is
/// `Hit::owner`).
#[derive(Clone, Copy)]
pub(crate) struct Alias {
    pub kind: AliasKind,
    /// A name without its vendor group's name ("Teams" for "Microsoft Teams"): evidence only on
    /// lines of that vendor.
    pub group_only: bool,
    /// Identifies the owner on its own: a domain, a distinctive token, or a phrase of several
    /// words that includes the brand. Weak aliases (one common word) need corroboration.
    pub strong: bool,
    /// Still strong when a typo correction completes it.
    strong_corrected: bool,
}

/// Token class within a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Numbers, references, dates, stop words, legal forms, geography: never evidence.
    Noise,
    /// Subscription vocabulary ("licence", "Pro", "seats").
    Context,
    /// Corporate words ("Technologies", "Software", "Labs").
    Filler,
    Content,
}

#[derive(Debug, Clone)]
pub(crate) struct Tok {
    pub norm: String,
    pub start: usize,
    pub end: usize,
    pub kind: TokenKind,
    pub class: Class,
    /// The token was corrected from a typo ("atlasian" read as "atlassian").
    pub corrected_from: Option<String>,
    /// The token joins words the text wrote apart ("Pager Duty").
    pub merged: bool,
    /// Its id in the word table, or [`NO_WORD`].
    pub wid: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub alias: u32,
    pub owner: u32,
    /// Token range, inclusive.
    pub first: usize,
    pub last: usize,
    /// The hit rests on a typo correction: only as strong as its target is distinctive.
    pub corrected: bool,
    /// The hit rests on words the text wrote apart ("Zen Desk"): never strong on its own.
    pub merged: bool,
    /// Removed because a longer hit of another owner contains it.
    pub suppressed: bool,
}

pub(crate) struct Analysis {
    pub toks: Vec<Tok>,
    pub hits: Vec<Hit>,
    /// A token is a subscription signal word (`super::is_signal`): worked out once per text,
    /// not once per line that repeats it.
    pub signal: bool,
}

/// A trie over word ids whose nodes carry items (aliases or cue phrases) in insertion order
/// (see [`TrieData`]).
struct Trie {
    /// Per node, where its edges (and so its children, node = edge + 1) start; one more entry.
    edge_start: Vec<u32>,
    edge_word: Vec<u32>,
    /// The root's children by word id, for one lookup per token.
    root: Vec<u32>,
    item_start: Vec<u32>,
    items: Vec<u32>,
}

impl Trie {
    fn new(d: TrieData, words: usize) -> Trie {
        let edge_start = prefix_sums(&d.child_count);
        let item_start = prefix_sums(&d.item_count);
        let mut root = vec![NO_WORD; words];
        let root_edges = edge_start.get(1).copied().unwrap_or(0) as usize;
        for (e, &w) in d.edge_word[..root_edges].iter().enumerate() {
            if let Some(slot) = root.get_mut(w as usize) {
                *slot = e as u32 + 1;
            }
        }
        Trie {
            edge_start,
            edge_word: d.edge_word,
            root,
            item_start,
            items: d.items,
        }
    }

    fn child(&self, node: u32, w: u32) -> Option<u32> {
        if node == 0 {
            return self.root.get(w as usize).copied().filter(|&c| c != NO_WORD);
        }
        let (a, b) = (
            self.edge_start[node as usize] as usize,
            self.edge_start[node as usize + 1] as usize,
        );
        self.edge_word[a..b]
            .binary_search(&w)
            .ok()
            .map(|i| (a + i) as u32 + 1)
    }

    fn items(&self, node: u32) -> &[u32] {
        &self.items
            [self.item_start[node as usize] as usize..self.item_start[node as usize + 1] as usize]
    }

    /// The words leading to the node where `item` ends.
    fn path_of(&self, item: u32) -> Vec<u32> {
        let Some(p) = self.items.iter().position(|&i| i == item) else {
            return Vec::new();
        };
        let mut node = self.item_start.partition_point(|&s| s as usize <= p) as u32 - 1;
        let mut out = Vec::new();
        while node != 0 {
            let e = node - 1;
            out.push(self.edge_word[e as usize]);
            node = self.edge_start.partition_point(|&s| s <= e) as u32 - 1;
        }
        out.reverse();
        out
    }

    /// Every (first token, last token, item) of `toks` in the order a leftmost-first scan by end
    /// position reports them: by last token, then first token, then insertion.
    fn find(&self, toks: &[Tok], out: &mut Vec<(usize, usize, u32)>) {
        let start = out.len();
        for i in 0..toks.len() {
            let mut node = 0u32;
            for (j, t) in toks.iter().enumerate().skip(i) {
                if t.wid == NO_WORD {
                    break;
                }
                match self.child(node, t.wid) {
                    Some(c) => node = c,
                    None => break,
                }
                for &it in self.items(node) {
                    out.push((i, j, it));
                }
            }
        }
        crate::sort::sort_by_key(&mut out[start..], |&(_, last, _)| last);
    }
}

pub(crate) struct Index {
    pub owners: Vec<Owner>,
    /// Per alias, its owner, and its kind and flags ([`Index::alias`] reads them).
    alias_owner: Vec<u32>,
    alias_meta: Vec<u8>,
    /// The word table: all words in one string, sorted, and where each starts.
    word_text: String,
    word_start: Vec<u32>,
    word_flags: Vec<u8>,
    /// Open addressing over the words: slot -> word id + 1 (0 is empty).
    word_slots: Vec<u32>,
    trie: Trie,
    cue_trie: Trie,
    pub cue_kind: Vec<u8>,
    pub cue_cat: Vec<String>,
    /// Normalized domain -> owner; for the shipped catalog made on first use (from `deferred`,
    /// its domains borrowed), since only texts and vendor cards with a domain need it. A hash
    /// map, not the sorted list `IndexData` holds: lookups are exact, and making it sorts
    /// nothing.
    domains: OnceLock<HashMap<Cow<'static, str>, u32>>,
    /// Per family, the end of its words in the second; made on first use for the shipped
    /// catalog.
    fam_vocab: OnceLock<(Vec<u32>, Vec<u32>)>,
    /// The shipped catalog's entries, from which the two tables above are made.
    deferred: Option<Deferred<'static>>,
    /// Typo targets by first letter, then length; made on first use.
    fuzzy: OnceLock<Vec<u32>>,
    /// App owners by app id: slot -> owner + 1 (0 is empty); made on first use.
    apps_by_id: OnceLock<Vec<u32>>,
    /// (owner << 32 | word) for the words of each owner's aliases of several words, sorted;
    /// made on first use.
    multiword_vocab: OnceLock<Vec<u64>>,
    /// Typo corrections already worked out: a word -> its target's id.
    corrections: Mutex<HashMap<String, Option<u32>>>,
    pub app_owner: Vec<u32>,
}

/// Corrections kept before the cache starts over.
const CORRECTIONS_MAX: usize = 50_000;

fn word_hash(w: &str) -> u64 {
    // FxHash over the bytes; any fixed function would do.
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = 0u64;
    let b = w.as_bytes();
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ v).wrapping_mul(K);
    }
    for &x in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(x)).wrapping_mul(K);
    }
    (h.rotate_left(5) ^ b.len() as u64).wrapping_mul(K)
}

impl Index {
    /// The lookup tables of the shipped catalog's blob (`crate::catalog::BUILTIN_BYTES`), the
    /// domain table and the families' vocabularies left to first use.
    pub fn builtin(blob: &'static [u8]) -> Option<Index> {
        let (d, deferred) = IndexData::decode_core(blob)?;
        let mut index = Index::from_data(d);
        index.domains = OnceLock::new();
        index.fam_vocab = OnceLock::new();
        index.deferred = Some(deferred);
        Some(index)
    }

    /// The lookup tables for `d`: little more than copies, so that decoding the shipped catalog's
    /// compiled index is most of what constructing an `Engine` costs.
    pub fn from_data(d: IndexData<'static>) -> Index {
        let IndexData {
            word_text,
            word_start,
            word_flags,
            owners,
            alias_owner,
            alias_meta,
            aliases: aliases_trie,
            domains,
            fam_vocab_end,
            fam_vocab,
            cue_kind,
            cue_cat,
            cues,
        } = d;
        let n_words = word_start.len().saturating_sub(1);
        let cap = (n_words * 2).next_power_of_two().max(16);
        let mut word_slots = vec![0u32; cap];
        for i in 0..n_words {
            let w = &word_text[word_start[i] as usize..word_start[i + 1] as usize];
            let mut s = word_hash(w) as usize & (cap - 1);
            while word_slots[s] != 0 {
                s = (s + 1) & (cap - 1);
            }
            word_slots[s] = i as u32 + 1;
        }
        let mut app_owner = Vec::new();
        let owners: Vec<Owner> = owners
            .into_iter()
            .enumerate()
            .map(|(o, d)| {
                let kind = match d.kind {
                    OWNER_GROUP => OwnerKind::Group,
                    OWNER_RESELLER => OwnerKind::Reseller,
                    _ => OwnerKind::App,
                };
                if kind == OwnerKind::App {
                    if app_owner.len() <= d.idx as usize {
                        app_owner.resize(d.idx as usize + 1, NONE);
                    }
                    app_owner[d.idx as usize] = o as u32;
                }
                Owner {
                    kind,
                    family: d.family,
                    id: d.id,
                    name: d.name,
                    category: d.category,
                    marketplace: d.marketplace,
                    default_owner: (d.default_owner != NONE).then_some(d.default_owner),
                }
            })
            .collect();
        Index {
            owners,
            alias_owner,
            alias_meta,
            trie: Trie::new(aliases_trie, n_words),
            cue_trie: Trie::new(cues, n_words),
            word_text,
            word_start,
            word_flags,
            word_slots,
            cue_kind,
            cue_cat,
            domains: OnceLock::from(
                domains
                    .into_iter()
                    .map(|(d, o)| (Cow::Owned(d), o))
                    .collect::<HashMap<_, _>>(),
            ),
            fam_vocab: OnceLock::from((fam_vocab_end, fam_vocab)),
            deferred: None,
            fuzzy: OnceLock::new(),
            apps_by_id: OnceLock::new(),
            multiword_vocab: OnceLock::new(),
            corrections: Mutex::new(HashMap::default()),
            app_owner,
        }
    }

    /// Alias `aid` (an alias of the trie; an `Index` has ~15,000, read where a hit needs one).
    pub(crate) fn alias(&self, aid: u32) -> Alias {
        let m = self.alias_meta[aid as usize];
        Alias {
            kind: match m & ALIAS_KIND_MASK {
                ALIAS_VENDOR_ENTITY => AliasKind::VendorEntity,
                ALIAS_NAME => AliasKind::Name,
                ALIAS_KEYWORD => AliasKind::Keyword,
                _ => AliasKind::Product,
            },
            group_only: m & ALIAS_GROUP_ONLY != 0,
            strong: m & ALIAS_STRONG != 0,
            strong_corrected: m & ALIAS_STRONG_CORRECTED != 0,
        }
    }

    pub(crate) fn word(&self, id: u32) -> &str {
        &self.word_text
            [self.word_start[id as usize] as usize..self.word_start[id as usize + 1] as usize]
    }

    /// The owner of the app with catalog id `id`.
    pub fn app_by_id(&self, id: &str) -> Option<u32> {
        // Open addressing over the ids' hashes (as the word table): made in one pass on first
        // use, where sorting the ~1,500 ids cost a first `summary()` in wasm ~5 ms.
        let slots = self.apps_by_id.get_or_init(|| {
            let n = self.app_owner.iter().filter(|&&o| o != NONE).count();
            let cap = (n * 2).next_power_of_two().max(16);
            let mut slots = vec![0u32; cap];
            for &o in self.app_owner.iter().filter(|&&o| o != NONE) {
                let mut s = word_hash(&self.owners[o as usize].id) as usize & (cap - 1);
                while slots[s] != 0 {
                    s = (s + 1) & (cap - 1);
                }
                slots[s] = o + 1;
            }
            slots
        });
        let mask = slots.len() - 1;
        let mut s = word_hash(id) as usize & mask;
        loop {
            match slots[s] {
                0 => return None,
                o if *self.owners[o as usize - 1].id == *id => return Some(o - 1),
                _ => s = (s + 1) & mask,
            }
        }
    }

    fn fuzzy(&self) -> &[u32] {
        self.fuzzy.get_or_init(|| {
            let mut v: Vec<(char, usize, u32)> = (0..self.word_flags.len())
                .filter(|&i| self.word_flags[i] & W_FUZZY != 0)
                .map(|i| {
                    let w = self.word(i as u32);
                    (w.chars().next().unwrap_or(' '), w.chars().count(), i as u32)
                })
                .collect();
            crate::sort::sort(&mut v);
            v.into_iter().map(|(_, _, i)| i).collect()
        })
    }

    /// The id of `w` in the word table.
    pub fn word_id(&self, w: &str) -> u32 {
        let mask = self.word_slots.len() - 1;
        let mut s = word_hash(w) as usize & mask;
        loop {
            match self.word_slots[s] {
                0 => return NO_WORD,
                id if self.word(id - 1) == w => return id - 1,
                _ => s = (s + 1) & mask,
            }
        }
    }

    pub(crate) fn flags(&self, wid: u32) -> u8 {
        if wid == NO_WORD {
            0
        } else {
            self.word_flags[wid as usize]
        }
    }

    /// Whether `wid` is a word of the family's aliases or domains.
    pub fn family_has(&self, family: u32, wid: u32) -> bool {
        if wid == NO_WORD {
            return false;
        }
        let (fam_vocab_end, fam_vocab) = self.fam_vocab();
        let f = family as usize;
        let from = if f == 0 {
            0
        } else {
            fam_vocab_end[f - 1] as usize
        };
        let to = fam_vocab_end.get(f).map_or(from, |&e| e as usize);
        fam_vocab[from..to].binary_search(&wid).is_ok()
    }

    fn fam_vocab(&self) -> &(Vec<u32>, Vec<u32>) {
        self.fam_vocab.get_or_init(|| {
            let families = self.deferred.as_ref().map_or(0, Deferred::families);
            family_vocab(
                &self.trie.edge_start,
                &self.trie.edge_word,
                &self.trie.item_start,
                &|a| {
                    let (owner, meta) = (*self.alias_owner.get(a)?, *self.alias_meta.get(a)?);
                    Some((owner, meta & ALIAS_GROUP_ONLY != 0))
                },
                &|o| Some(self.owners.get(o as usize)?.family),
                &mut self.domains().iter().map(|(d, &o)| (&**d, o)),
                &|w| Some(self.word_id(w)).filter(|&i| i != NO_WORD),
                families,
            )
            // Only the shipped catalog's starts empty, and build.rs checked that its tables are
            // made: failing here is a build bug, not input.
            .expect("build.rs wrote a valid index")
        })
    }

    fn domains(&self) -> &HashMap<Cow<'static, str>, u32> {
        self.domains.get_or_init(|| {
            let mut map = HashMap::default();
            self.deferred
                .as_ref()
                .and_then(|d| {
                    d.each_domain(&mut |d, o| {
                        // A later owner takes a domain an earlier one had, as in `build`.
                        map.insert(d, o);
                    })
                })
                .expect("build.rs wrote a valid index");
            map
        })
    }

    /// Whether one of `owner`'s aliases of several words holds the word `wid` ("claude api" of
    /// the Anthropic API holds "claude"). A scan of the aliases: asked only when two apps of one
    /// group are on a line.
    pub(crate) fn owner_alias_has_word(&self, owner: u32, wid: u32) -> bool {
        if wid == NO_WORD {
            return false;
        }
        let vocab = self.multiword_vocab.get_or_init(|| {
            // One pass over the trie: a node's parent and word, then each alias's path.
            let t = &self.trie;
            let nodes = t.item_start.len().saturating_sub(1);
            let mut parent = vec![0u32; nodes];
            let mut word = vec![NO_WORD; nodes];
            for n in 0..nodes.min(t.edge_start.len().saturating_sub(1)) {
                for e in t.edge_start[n] as usize..t.edge_start[n + 1] as usize {
                    if let (Some(p), Some(w)) = (parent.get_mut(e + 1), word.get_mut(e + 1)) {
                        *p = n as u32;
                        *w = t.edge_word[e];
                    }
                }
            }
            let mut out: Vec<u64> = Vec::new();
            for n in 1..nodes {
                if parent[n] == 0 {
                    continue; // an alias of one word
                }
                for &item in t.items(n as u32) {
                    let Some(&o) = self.alias_owner.get(item as usize) else {
                        continue;
                    };
                    let mut k = n;
                    while k != 0 {
                        out.push((o as u64) << 32 | word[k] as u64);
                        k = parent[k] as usize;
                    }
                }
            }
            crate::sort::sort(&mut out);
            out.dedup();
            out
        });
        vocab
            .binary_search(&((owner as u64) << 32 | wid as u64))
            .is_ok()
    }

    /// The alias's words joined by spaces (for debugging).
    pub fn alias_text(&self, aid: u32) -> String {
        self.trie
            .path_of(aid)
            .iter()
            .map(|&w| self.word(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Tokenizes and classifies `text`, repairs typos and split words, and finds every alias.
    /// `vendor` strips legal forms and geography the way vendor entities are keyed.
    pub fn analyse(&self, text: &str, vendor: bool) -> Analysis {
        let raw = tokenize(text);
        let mut toks = self.classify(raw, vendor);
        self.repair(&mut toks);
        let hits = self.find_hits(&toks);
        let signal = toks.iter().any(|t| super::is_signal(&t.norm));
        Analysis { toks, hits, signal }
    }

    fn classify(&self, raw: Vec<Token>, vendor: bool) -> Vec<Tok> {
        let lx = lexicon();
        let mut toks: Vec<Tok> = raw
            .into_iter()
            .map(|t| {
                let wid = self.word_id(&t.norm);
                Tok {
                    norm: t.norm,
                    start: t.start,
                    end: t.end,
                    kind: t.kind,
                    class: Class::Noise,
                    corrected_from: None,
                    merged: false,
                    wid,
                }
            })
            .collect();
        let classes = {
            let norms: Vec<&str> = toks.iter().map(|t| t.norm.as_str()).collect();
            let legal_from = if vendor {
                norms.len() - lx.legal_suffix_len(&norms)
            } else {
                norms.len()
            };
            let mut classes = vec![Class::Noise; toks.len()];
            let mut i = 0;
            while i < legal_from {
                let geo = if vendor && i > 0 {
                    lx.geo_len_at(&norms[..legal_from], i)
                } else {
                    0
                };
                if geo > 0 {
                    i += geo;
                    continue;
                }
                classes[i] = self.class_of(&toks[i]);
                i += 1;
            }
            classes
        };
        for (t, c) in toks.iter_mut().zip(classes) {
            t.class = c;
        }
        toks
    }

    fn class_of(&self, t: &Tok) -> Class {
        match t.kind {
            TokenKind::Number => Class::Noise,
            TokenKind::Domain => Class::Content,
            TokenKind::Word => {
                let f = self.flags(t.wid);
                let n = t.norm.as_str();
                if f & W_DISTINCTIVE != 0 {
                    Class::Content
                } else if f & W_STOP != 0
                    || n.chars().count() == 1
                    || (f & W_VOCAB == 0 && looks_like_reference(n))
                {
                    Class::Noise
                } else if f & W_CONTEXT != 0 {
                    Class::Context
                } else if f & W_FILLER != 0 {
                    Class::Filler
                } else {
                    Class::Content
                }
            }
        }
    }

    /// Joins split brand names ("Pager Duty", "Bamboo H.R.") and corrects unambiguous typos of
    /// distinctive brand tokens ("Atlasian", "Hubspt").
    fn repair(&self, toks: &mut Vec<Tok>) {
        // Joins first: two or three adjacent word tokens that spell a brand token.
        let mut cat = String::new();
        let mut i = 0;
        while i < toks.len() {
            for n in [3usize, 2] {
                if i + n > toks.len() || toks[i..i + n].iter().any(|t| t.kind != TokenKind::Word) {
                    continue;
                }
                cat.clear();
                for t in &toks[i..i + n] {
                    cat.push_str(&t.norm);
                }
                // Words that are catalog words on their own ("Sage Intacct", "Creative Cloud")
                // are read as written.
                let wid = self.word_id(&cat);
                if self.flags(wid) & W_JOINABLE != 0
                    && !toks[i..i + n]
                        .iter()
                        .all(|t| self.flags(t.wid) & W_VOCAB != 0)
                {
                    let start = toks[i].start;
                    let end = toks[i + n - 1].end;
                    let norm = std::mem::take(&mut cat);
                    toks.splice(
                        i..i + n,
                        std::iter::once(Tok {
                            norm,
                            start,
                            end,
                            kind: TokenKind::Word,
                            class: Class::Content,
                            corrected_from: None,
                            merged: true,
                            wid,
                        }),
                    );
                    break;
                }
            }
            i += 1;
        }
        for t in toks.iter_mut() {
            if t.merged {
                continue;
            }
            let (word, wid, is_domain): (&str, u32, bool) = match t.kind {
                TokenKind::Word => (&t.norm, t.wid, false),
                // An unknown domain may be a misspelt brand: "salesfroce.com".
                TokenKind::Domain if self.domain_owner(&t.norm).is_none() => {
                    match t.norm.split('.').next() {
                        Some(l) => (l, self.word_id(l), true),
                        None => continue,
                    }
                }
                _ => continue,
            };
            let f = self.flags(wid);
            if word.len() < 4 || f & (W_VOCAB | W_COMMON | W_STOP | W_CONTEXT) != 0 {
                continue;
            }
            if word.chars().count() < 4
                || !word.chars().all(|c| c.is_alphanumeric())
                || !word.chars().any(|c| c.is_alphabetic())
            {
                continue;
            }
            // Not in the table: an ordinary word is still not a typo.
            if wid == NO_WORD && is_common_word(word) {
                continue;
            }
            if let Some(target) = self.correction(word) {
                let word = word.to_string();
                if is_domain {
                    t.kind = TokenKind::Word;
                }
                t.corrected_from = Some(word);
                t.norm = self.word(target).to_string();
                t.wid = target;
                t.class = Class::Content;
            }
        }
    }

    fn correction(&self, word: &str) -> Option<u32> {
        if let Ok(cache) = self.corrections.lock() {
            if let Some(&c) = cache.get(word) {
                return c;
            }
        }
        let c = self.correct(word);
        if let Ok(mut cache) = self.corrections.lock() {
            if cache.len() >= CORRECTIONS_MAX {
                cache.clear();
            }
            cache.insert(word.to_string(), c);
        }
        c
    }

    /// The one catalog word `word` is a typo of: one edit away, same first letter; of several,
    /// the one of the same length.
    fn correct(&self, word: &str) -> Option<u32> {
        let w: Vec<char> = word.chars().collect();
        let n = w.len();
        let first = *w.first()?;
        let mut found: Vec<u32> = Vec::new();
        let mut t: Vec<char> = Vec::new();
        for m in n.saturating_sub(1)..=n + 1 {
            let key = |&c: &u32| {
                let w = self.word(c);
                (w.chars().next().unwrap_or(' '), w.chars().count()).cmp(&(first, m))
            };
            let fuzzy = self.fuzzy();
            let from = fuzzy.partition_point(|c| key(c) == Ordering::Less);
            let to = fuzzy.partition_point(|c| key(c) != Ordering::Greater);
            for &c in &fuzzy[from..to] {
                t.clear();
                t.extend(self.word(c).chars());
                if !one_edit(&w, &t) {
                    continue;
                }
                let ok = match n.min(m) {
                    0..=3 => false,
                    // Four letters: a swap of neighbours ("okat" for "okta") or one letter too
                    // many ("zooom").
                    4 => (n == m && is_transposition(&w, &t)) || n == m + 1,
                    _ => true,
                };
                if ok {
                    found.push(c);
                }
            }
        }
        // Unambiguous only: one candidate, or one of the same length ("figam" is "figma" rather
        // than "figjam").
        if found.len() > 1 {
            found.retain(|&c| self.word(c).chars().count() == n);
        }
        match found[..] {
            [c] => Some(c),
            _ => None,
        }
    }

    /// The owner of a domain or of its closest parent domain ("eu.zoom.us" -> "zoom.us").
    pub fn domain_owner(&self, domain: &str) -> Option<u32> {
        let mut d = domain;
        loop {
            if let Some(&o) = self.domains().get(d) {
                return Some(o);
            }
            match d.find('.') {
                Some(p) if d[p + 1..].contains('.') => d = &d[p + 1..],
                _ => return None,
            }
        }
    }

    fn find_hits(&self, toks: &[Tok]) -> Vec<Hit> {
        let mut hits = Vec::new();
        // Domain tokens.
        for (i, t) in toks.iter().enumerate() {
            if t.kind == TokenKind::Domain {
                if let Some(o) = self.domain_owner(&t.norm) {
                    hits.push(Hit {
                        alias: u32::MAX,
                        owner: o,
                        first: i,
                        last: i,
                        corrected: false,
                        merged: false,
                        suppressed: false,
                    });
                }
            }
        }
        let mut found = Vec::new();
        self.trie.find(toks, &mut found);
        for (first, last, aid) in found {
            let corrected = toks[first..=last]
                .iter()
                .any(|t| t.corrected_from.is_some());
            let merged = toks[first..=last].iter().any(|t| t.merged);
            hits.push(Hit {
                alias: aid,
                owner: self.alias_owner[aid as usize],
                first,
                last,
                corrected,
                merged,
                suppressed: false,
            });
        }
        // A hit inside a longer hit of another owner is not what the text names ("github" in
        // "GitHub Copilot", "aws" in "AWS Marketplace").
        let n = hits.len();
        for i in 0..n {
            for j in 0..n {
                if i == j || hits[i].owner == hits[j].owner {
                    continue;
                }
                let (a, b) = (&hits[i], &hits[j]);
                let b_group_only = b.alias != u32::MAX && self.alias(b.alias).group_only;
                let contains = !b_group_only
                    && b.first <= a.first
                    && a.last <= b.last
                    && (b.last - b.first) > (a.last - a.first);
                if contains {
                    hits[i].suppressed = true;
                }
            }
        }
        hits
    }

    /// Cue phrases in `toks`: (first token, last token, cue id), in reading order of their ends.
    pub fn cue_hits(&self, toks: &[Tok]) -> Vec<(usize, usize, u32)> {
        let mut out = Vec::new();
        self.cue_trie.find(toks, &mut out);
        out
    }

    /// (kind, strong) of a hit's alias.
    pub fn alias_info(&self, h: &Hit) -> (AliasKind, bool) {
        if h.alias == u32::MAX {
            return (AliasKind::Domain, true);
        }
        let a = self.alias(h.alias);
        let mut strong = a.strong;
        if h.merged {
            strong = false;
        } else if h.corrected {
            // A corrected token stands for a brand only as much as the brand is distinctive.
            strong = a.strong_corrected;
        }
        (a.kind, strong)
    }
}

/// Reference-like tokens: letters mixed with many digits ("g052611349", "org-7hk2").
/// (Only asked of tokens that are not catalog words: "m365" and "1password" never get here.)
fn looks_like_reference(t: &str) -> bool {
    t.chars().any(|c| c.is_numeric())
}

/// Whether the optimal string alignment distance of `a` and `b` is exactly 1: one substitution,
/// insertion, deletion or swap of neighbours.
fn one_edit(a: &[char], b: &[char]) -> bool {
    let (s, l) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match l.len() - s.len() {
        0 => {
            let Some(i) = (0..s.len()).find(|&i| s[i] != l[i]) else {
                return false;
            };
            s[i + 1..] == l[i + 1..]
                || (i + 1 < s.len()
                    && s[i] == l[i + 1]
                    && s[i + 1] == l[i]
                    && s[i + 2..] == l[i + 2..])
        }
        1 => {
            let i = (0..s.len()).find(|&i| s[i] != l[i]).unwrap_or(s.len());
            s[i..] == l[i + 1..]
        }
        _ => false,
    }
}

fn is_transposition(a: &[char], b: &[char]) -> bool {
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    diff.len() == 2
        && diff[1] == diff[0] + 1
        && a[diff[0]] == b[diff[1]]
        && a[diff[1]] == b[diff[0]]
}

/// Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps).
pub(crate) fn damerau(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped catalog's index leaves the domain table and the families' vocabularies to
    /// first use: made then, they are the tables of the index decoded whole (which
    /// `the_embedded_index_is_the_decoded_catalog_compiled` compares with a fresh build).
    #[test]
    fn the_builtin_index_makes_its_deferred_tables_as_decoding_does() {
        let blob = crate::catalog::BUILTIN_BYTES;
        let lazy = Index::builtin(blob).unwrap();
        assert!(lazy.domains.get().is_none() && lazy.fam_vocab.get().is_none());
        let whole = Index::from_data(IndexData::decode(blob).unwrap());
        assert!(whole.domains.get().is_some_and(|d| !d.is_empty()));
        // Asking for a family's words makes the domain table too (its first labels count).
        assert!(lazy.family_has(0, 0) == whole.family_has(0, 0));
        assert!(lazy.domains.get().is_some());
        assert!(lazy.domains() == whole.domains());
        assert!(lazy.fam_vocab() == whole.fam_vocab());
        assert!(lazy.fam_vocab().0.len() == lazy.deferred.as_ref().unwrap().families());
        let fresh = Index::builtin(blob).unwrap();
        let table = IndexData::decode(blob).unwrap().domains;
        assert!(table.len() == lazy.domains().len() && table.len() > 1000);
        for (d, o) in &table {
            assert_eq!(lazy.domains().get(d.as_str()), Some(o));
        }
        let (dom, owner) = &table[table.len() / 2];
        assert_eq!(fresh.domain_owner(&format!("eu.{dom}")), Some(*owner));
        assert!(fresh.fam_vocab.get().is_none());
    }

    #[test]
    fn every_app_is_found_by_its_id() {
        let index = Index::builtin(crate::catalog::BUILTIN_BYTES).unwrap();
        let mut apps = 0;
        for (o, owner) in index.owners.iter().enumerate() {
            let found = index.app_by_id(&owner.id);
            if owner.kind == OwnerKind::App {
                apps += 1;
                assert_eq!(found, Some(o as u32), "{}", owner.id);
            } else if let Some(a) = found {
                // A group or reseller may share its id with an app.
                assert_eq!(index.owners[a as usize].kind, OwnerKind::App);
            }
        }
        assert!(apps > 1000);
        for id in ["", "no-such-app", "slack ", "SLACK"] {
            assert_eq!(index.app_by_id(id), None, "{id:?}");
        }
    }
}
