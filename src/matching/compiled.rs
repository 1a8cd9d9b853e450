//! The catalog compiled for matching, in a flat form that can be written to bytes and read back.
//!
//! [`IndexData::build`] does all the work that depends on the catalog only: it normalizes every
//! alias into a sequence of word ids, works out which words are distinctive, which aliases are
//! strong, the vendor-group short names and the families' vocabularies. For the shipped catalog
//! `build.rs` runs it once and embeds [`IndexData::encode`]'s bytes, so constructing an `Engine`
//! only decodes them ([`IndexData::decode_core`], which leaves the domain table and the families'
//! vocabularies to first use: [`Deferred`]); a caller's catalog is compiled at run time by the
//! same code. [`super::index::Index`] turns the data into lookup tables.
//!
//! Like `normalize.rs`, this file depends on `std` and its sibling modules only, because
//! `build.rs` includes it.

use super::compact::{Entries, Reader, Writer};
use super::normalize::{normal_host, normalize_host, tokenize, vendor_key, Lexicon};
use super::schema::{CatalogData, CATEGORIES};
use crate::fastmap::{FastMap as HashMap, FastSet as HashSet};
use std::borrow::Cow;
use std::collections::BTreeMap;

// Owner kinds.
pub const OWNER_APP: u8 = 0;
pub const OWNER_GROUP: u8 = 1;
pub const OWNER_RESELLER: u8 = 2;
// Alias kinds.
pub const ALIAS_VENDOR_ENTITY: u8 = 0;
pub const ALIAS_NAME: u8 = 1;
pub const ALIAS_KEYWORD: u8 = 2;
pub const ALIAS_PRODUCT: u8 = 3;
// Alias flags, above the kind (3 bits).
pub const ALIAS_KIND_MASK: u8 = 7;
pub const ALIAS_STRONG: u8 = 8;
pub const ALIAS_GROUP_ONLY: u8 = 16;
/// Still strong when the hit rests on a typo correction: several words and strong, or a
/// distinctive word.
pub const ALIAS_STRONG_CORRECTED: u8 = 32;
/// "No such thing" in id fields.
pub const NONE: u32 = u32::MAX;

/// Words of company names that say nothing about which company ("Technologies", "Labs").
pub const FILLER_WORDS: &[&str] = &[
    "technologies",
    "technology",
    "tech",
    "software",
    "systems",
    "system",
    "labs",
    "lab",
    "solutions",
    "services",
    "service",
    "group",
    "holdings",
    "holding",
    "networks",
    "network",
    "digital",
    "online",
    "cloud",
    "data",
    "io",
    "app",
    "apps",
    "hq",
    "platforms",
    "platform",
    "computing",
    "internet",
    "interactive",
    "ventures",
    "enterprises",
    "operations",
    "sales",
    "distribution",
    "management",
    "international",
    "global",
    "web",
    "ai",
    "dba",
    "ta",
    "trading",
    "the",
    "communications",
    "media",
    "products",
    "hub",
];
// Word flags.
/// A token of some alias or catalog domain label.
pub const W_VOCAB: u8 = 1;
/// Points at one family and is not an ordinary word.
pub const W_DISTINCTIVE: u8 = 2;
pub const W_STOP: u8 = 4;
pub const W_CONTEXT: u8 = 8;
pub const W_FILLER: u8 = 16;
/// An ordinary English word (`data/common-words.txt`).
pub const W_COMMON: u8 = 32;
/// May be formed by joining words ("hubspot" from "Hub Spot").
pub const W_JOINABLE: u8 = 64;
/// A target of typo correction.
pub const W_FUZZY: u8 = 128;
// Cue kinds.
pub const CUE_NONSAAS_HARD: u8 = 0;
pub const CUE_NONSAAS_SOFT: u8 = 1;
pub const CUE_FREIGHT: u8 = 2;
pub const CUE_TAX: u8 = 3;
pub const CUE_ADJUSTMENT: u8 = 4;
/// Money moved through a spend, benefits or payroll platform ("card top-up"): not software when
/// the app on the line is one of those.
pub const CUE_FUNDS: u8 = 5;

/// `'a`: texts may be borrowed from the bytes the index was decoded from (the shipped catalog's,
/// which live as long as the program): an `Engine` copies none of them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OwnerData<'a> {
    pub kind: u8,
    /// Index into the catalog's apps / vendorGroups / resellers.
    pub idx: u32,
    pub family: u32,
    pub marketplace: bool,
    pub id: Cow<'a, str>,
    pub name: Cow<'a, str>,
    /// Apps only: one of [`CATEGORIES`] (a caller's catalog is validated before it is built).
    pub category: Cow<'static, str>,
    /// Vendor groups: the owner of their default app, or [`NONE`].
    pub default_owner: u32,
}

/// A trie over word ids whose nodes carry items (aliases, cue phrases), in breadth-first order:
/// node 0 is the root and node `k > 0` is reached by edge `k - 1`, so children need no ids.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrieData {
    /// Per node, how many edges leave it; its edges follow those of the nodes before it.
    pub child_count: Vec<u32>,
    /// Per edge, its word; ascending within a node.
    pub edge_word: Vec<u32>,
    /// Per node, how many items end there; its items follow those of the nodes before it, in
    /// insertion order.
    pub item_count: Vec<u32>,
    pub items: Vec<u32>,
}

impl TrieData {
    fn build(items: &[Vec<u32>]) -> TrieData {
        let mut nodes: Vec<(BTreeMap<u32, usize>, Vec<u32>)> = vec![Default::default()];
        for (i, ws) in items.iter().enumerate() {
            if ws.is_empty() {
                continue;
            }
            let mut n = 0;
            for &w in ws {
                n = match nodes[n].0.get(&w) {
                    Some(&c) => c,
                    None => {
                        let c = nodes.len();
                        nodes.push(Default::default());
                        nodes[n].0.insert(w, c);
                        c
                    }
                };
            }
            nodes[n].1.push(i as u32);
        }
        let mut order = vec![0usize];
        let mut k = 0;
        while k < order.len() {
            let children: Vec<usize> = nodes[order[k]].0.values().copied().collect();
            order.extend(children);
            k += 1;
        }
        let mut t = TrieData::default();
        for &n in &order {
            t.child_count.push(nodes[n].0.len() as u32);
            t.edge_word.extend(nodes[n].0.keys().copied());
            t.item_count.push(nodes[n].1.len() as u32);
            t.items.extend(nodes[n].1.iter().copied());
        }
        t
    }
}

/// Everything the matcher needs from a catalog, as flat arrays. Lists of lists are stored as one
/// array of items and one array of end offsets.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexData<'a> {
    /// The words the matcher knows (catalog tokens and the lexicon's words), sorted, in one
    /// string: word `i` is `word_text[word_start[i]..word_start[i + 1]]`, and `i` is its id.
    pub word_text: String,
    pub word_start: Vec<u32>,
    pub word_flags: Vec<u8>,
    pub owners: Vec<OwnerData<'a>>,
    /// Per alias (ids in the order aliases were listed): its owner, and its kind and flags.
    pub alias_owner: Vec<u32>,
    pub alias_meta: Vec<u8>,
    /// The aliases' words; an alias is an item of the node its words lead to.
    pub aliases: TrieData,
    /// Normalized domain -> owner, sorted by domain.
    pub domains: Vec<(String, u32)>,
    /// Per family, the sorted ids of the words of all its aliases and domain labels.
    pub fam_vocab_end: Vec<u32>,
    pub fam_vocab: Vec<u32>,
    pub cue_kind: Vec<u8>,
    pub cue_cat: Vec<String>,
    pub cues: TrieData,
}

fn is_stopish(lx: &Lexicon, t: &str) -> bool {
    lx.stop.contains(t) || lx.context.contains(t)
}

fn key_tokens(key: &str) -> Vec<String> {
    key.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn text_tokens(s: &str) -> Vec<String> {
    tokenize(s).into_iter().map(|t| t.norm).collect()
}

struct TokStat {
    families: u32,
    last_family: u32,
}

impl IndexData<'_> {
    /// Compiles `catalog`. `build.rs` calls this for the shipped catalog; `Matcher::new` for a
    /// caller's.
    pub fn build(
        catalog: &CatalogData,
        lx: &Lexicon,
        is_common_word: &dyn Fn(&str) -> bool,
    ) -> IndexData<'static> {
        let mut owners: Vec<OwnerData<'static>> = Vec::new();
        let mut raw_aliases: Vec<(u32, u8, Vec<String>)> = Vec::new();
        let mut domains: HashMap<String, u32> = HashMap::default();
        let mut family_of_group: HashMap<&str, u32> = HashMap::default();
        let mut next_family = 0u32;

        for (i, g) in catalog.vendor_groups.iter().enumerate() {
            let fam = next_family;
            next_family += 1;
            family_of_group.insert(g.id.as_str(), fam);
            let o = owners.len() as u32;
            owners.push(OwnerData {
                kind: OWNER_GROUP,
                idx: i as u32,
                family: fam,
                id: Cow::Owned(g.id.clone()),
                name: Cow::Owned(g.name.clone()),
                default_owner: NONE,
                ..Default::default()
            });
            for v in &g.vendors {
                raw_aliases.push((o, ALIAS_VENDOR_ENTITY, key_tokens(&vendor_key(lx, v))));
            }
            raw_aliases.push((o, ALIAS_NAME, text_tokens(&g.name)));
            for k in &g.keywords {
                raw_aliases.push((o, ALIAS_KEYWORD, text_tokens(k)));
            }
            for d in &g.domains {
                if let Some(d) = normalize_host(d) {
                    domains.insert(d, o);
                }
            }
        }
        // Apps listed by a group belong to its family even without `parent`.
        let mut listed_parent: HashMap<&str, &str> = HashMap::default();
        for g in &catalog.vendor_groups {
            for a in &g.apps {
                listed_parent.insert(a.as_str(), g.id.as_str());
            }
        }
        let mut app_owner = Vec::new();
        for (i, a) in catalog.apps.iter().enumerate() {
            let parent = a
                .parent
                .as_deref()
                .or_else(|| listed_parent.get(a.id.as_str()).copied());
            let fam = match parent.and_then(|p| family_of_group.get(p)) {
                Some(&f) => f,
                None => {
                    next_family += 1;
                    next_family - 1
                }
            };
            let o = owners.len() as u32;
            app_owner.push(o);
            owners.push(OwnerData {
                kind: OWNER_APP,
                idx: i as u32,
                family: fam,
                id: Cow::Owned(a.id.clone()),
                name: Cow::Owned(a.name.clone()),
                category: match CATEGORIES.iter().find(|c| **c == a.category) {
                    Some(c) => Cow::Borrowed(*c),
                    None => Cow::Owned(a.category.clone()),
                },
                default_owner: NONE,
                ..Default::default()
            });
            for v in &a.vendors {
                raw_aliases.push((o, ALIAS_VENDOR_ENTITY, key_tokens(&vendor_key(lx, v))));
            }
            raw_aliases.push((o, ALIAS_NAME, text_tokens(&a.name)));
            for k in &a.keywords {
                raw_aliases.push((o, ALIAS_KEYWORD, text_tokens(k)));
            }
            for p in &a.products {
                raw_aliases.push((o, ALIAS_PRODUCT, text_tokens(p)));
            }
            for d in &a.domains {
                if let Some(d) = normalize_host(d) {
                    domains.insert(d, o);
                }
            }
        }
        for (i, r) in catalog.resellers.iter().enumerate() {
            let fam = next_family;
            next_family += 1;
            let o = owners.len() as u32;
            owners.push(OwnerData {
                kind: OWNER_RESELLER,
                idx: i as u32,
                family: fam,
                marketplace: r.marketplace,
                id: Cow::Owned(r.id.clone()),
                name: Cow::Owned(r.name.clone()),
                default_owner: NONE,
                ..Default::default()
            });
            for v in &r.vendors {
                raw_aliases.push((o, ALIAS_VENDOR_ENTITY, key_tokens(&vendor_key(lx, v))));
            }
            if r.marketplace {
                raw_aliases.push((o, ALIAS_NAME, text_tokens(&r.name)));
            } else {
                // A reseller's own name on a line ("CDW Managed Services") is its own service.
                raw_aliases.push((o, ALIAS_NAME, key_tokens(&vendor_key(lx, &r.name))));
            }
            for k in &r.keywords {
                raw_aliases.push((o, ALIAS_KEYWORD, text_tokens(k)));
            }
            for d in &r.domains {
                if let Some(d) = normalize_host(d) {
                    domains.insert(d, o);
                }
            }
        }
        // Aliases made of generic words only ("Ultimate Software") would match any subscription
        // line; the catalog build warns about them and the matcher leaves them out.
        raw_aliases.retain(|(_, kind, t)| {
            !t.is_empty() && (*kind == ALIAS_VENDOR_ENTITY || !t.iter().all(|w| is_stopish(lx, w)))
        });

        // Short names of group apps: the app's names without the group's name in front.
        let mut short: Vec<(u32, u8, Vec<String>)> = Vec::new();
        {
            let group_names = group_names(&owners, catalog, lx);
            // An app's cue words ("usage", "seats") are, like short names, evidence on its group's
            // invoices only: they choose among the group's apps, never between vendors.
            for (a, &o) in catalog.apps.iter().zip(&app_owner) {
                if group_names.contains_key(&owners[o as usize].family) {
                    for c in &a.cues {
                        let toks = text_tokens(c);
                        if toks.is_empty() {
                            continue;
                        }
                        // The cue in the other languages of invoices ("Verbrauch", "consommation"
                        // for "usage"), from the lexicon.
                        for (_, others) in lx.cue_words.iter().filter(|(cue, _)| *cue == toks) {
                            for t in others {
                                short.push((o, ALIAS_KEYWORD, t.clone()));
                            }
                        }
                        short.push((o, ALIAS_KEYWORD, toks));
                    }
                }
            }
            for (o, kind, toks) in &raw_aliases {
                let owner = &owners[*o as usize];
                if owner.kind != OWNER_APP || *kind == ALIAS_VENDOR_ENTITY {
                    continue;
                }
                if let Some(prefixes) = group_names.get(&owner.family) {
                    for p in prefixes {
                        if toks.len() > p.len()
                            && toks[..p.len()] == p[..]
                            && !lx.stop.contains(&toks[p.len()])
                        {
                            short.push((*o, *kind, toks[p.len()..].to_vec()));
                        }
                    }
                }
            }
        }

        // Family vocabularies and token statistics.
        let mut family_vocab: HashMap<u32, HashSet<String>> = HashMap::default();
        for (o, _, toks) in &raw_aliases {
            let fam = owners[*o as usize].family;
            family_vocab
                .entry(fam)
                .or_default()
                .extend(toks.iter().cloned());
        }
        for (d, o) in &domains {
            let fam = owners[*o as usize].family;
            if let Some(label) = d.split('.').next() {
                family_vocab
                    .entry(fam)
                    .or_default()
                    .insert(label.to_string());
            }
        }
        let mut tok_stats: HashMap<String, TokStat> = HashMap::default();
        let mut fams: Vec<(&u32, &HashSet<String>)> = family_vocab.iter().collect();
        crate::sort::sort_by_key(&mut fams, |(f, _)| **f);
        for (fam, vocab) in fams {
            for t in vocab {
                let s = tok_stats.entry(t.clone()).or_insert(TokStat {
                    families: 0,
                    last_family: u32::MAX,
                });
                if s.last_family != *fam {
                    s.families += 1;
                    s.last_family = *fam;
                }
            }
        }

        // Cue phrases of the lexicon.
        let mut cues: Vec<(u8, String, &Vec<String>)> = Vec::new();
        for (cat, toks) in &lx.nonsaas {
            // "services" is soft; a category may say otherwise: "hardware?" soft, "services!"
            // hard.
            let (name, kind) = if cat == "funds" {
                (cat.as_str(), CUE_FUNDS)
            } else if let Some(n) = cat.strip_suffix('?') {
                (n, CUE_NONSAAS_SOFT)
            } else if let Some(n) = cat.strip_suffix('!') {
                (n, CUE_NONSAAS_HARD)
            } else if cat == "services" || cat == "firm" {
                (cat.as_str(), CUE_NONSAAS_SOFT)
            } else {
                (cat.as_str(), CUE_NONSAAS_HARD)
            };
            cues.push((kind, name.trim().to_string(), toks));
        }
        for (list, kind) in [
            (&lx.freight, CUE_FREIGHT),
            (&lx.tax, CUE_TAX),
            (&lx.adjustment, CUE_ADJUSTMENT),
        ] {
            for toks in list {
                cues.push((kind, String::new(), toks));
            }
        }

        // The word table: catalog tokens, the lexicon's single words, filler words, cue words.
        let mut all: HashSet<&str> = HashSet::default();
        all.extend(tok_stats.keys().map(String::as_str));
        all.extend(lx.stop.iter().map(String::as_str));
        all.extend(lx.context.iter().map(String::as_str));
        all.extend(FILLER_WORDS.iter().copied());
        for (_, _, toks) in &short {
            all.extend(toks.iter().map(String::as_str));
        }
        for (_, _, toks) in &cues {
            all.extend(toks.iter().map(String::as_str));
        }
        let mut words: Vec<String> = all.into_iter().map(str::to_string).collect();
        crate::sort::sort(&mut words);
        let ids: HashMap<&str, u32> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.as_str(), i as u32))
            .collect();
        let distinctive = |t: &str| -> bool {
            let n = t.chars().count();
            if n < 3 || is_stopish(lx, t) || is_common_word(t) {
                return false;
            }
            // Numbers alone ("365") are never distinctive; "1password" and "m365" are.
            if !t.chars().any(|c| c.is_alphabetic()) {
                return false;
            }
            matches!(tok_stats.get(t), Some(s) if s.families == 1)
        };
        let word_flags: Vec<u8> = words
            .iter()
            .map(|w| {
                let t = w.as_str();
                let mut f = 0u8;
                if tok_stats.contains_key(t) {
                    f |= W_VOCAB;
                    let n = t.chars().count();
                    // Typo targets: catalog tokens of at least 4 letters. A correction to a common
                    // word ("Zooom" to "zoom") is only as strong as the alias it completes.
                    if n >= 4
                        && !is_stopish(lx, t)
                        && t.chars().any(|c| c.is_alphabetic())
                        && !t.contains('.')
                    {
                        f |= W_FUZZY;
                        if n >= 5 {
                            f |= W_JOINABLE;
                        }
                    }
                }
                if distinctive(t) {
                    f |= W_DISTINCTIVE;
                }
                if lx.stop.contains(t) {
                    f |= W_STOP;
                }
                if lx.context.contains(t) {
                    f |= W_CONTEXT;
                }
                if FILLER_WORDS.contains(&t) {
                    f |= W_FILLER;
                }
                if is_common_word(t) {
                    f |= W_COMMON;
                }
                f
            })
            .collect();

        // Vendor groups' default apps.
        for (i, g) in catalog.vendor_groups.iter().enumerate() {
            let default = g
                .default_app
                .as_deref()
                .and_then(|d| catalog.apps.iter().position(|a| a.id == d))
                .map_or(NONE, |p| app_owner[p]);
            if let Some(o) = owners
                .iter_mut()
                .find(|o| o.kind == OWNER_GROUP && o.idx == i as u32)
            {
                o.default_owner = default;
            }
        }
        let mut out = IndexData {
            word_flags,
            owners,
            ..Default::default()
        };
        let wid = |t: &str| ids[t];

        // Aliases, with their strength.
        let alias_is_strong = |toks: &[String]| -> bool {
            if toks.iter().any(|t| t.contains('.')) {
                return true;
            }
            if toks.iter().any(|t| distinctive(t)) {
                return true;
            }
            // A name of several words with at least one that is not subscription vocabulary ("Zoom
            // Video Communications", "Creative Cloud", "Zoom Pro") is specific.
            let w: Vec<&String> = toks.iter().filter(|t| t.chars().count() > 1).collect();
            w.len() >= 2 && w.iter().any(|t| !is_stopish(lx, t))
        };
        let mut alias_words: Vec<Vec<u32>> = Vec::new();
        let all_aliases = raw_aliases
            .into_iter()
            .map(|a| (a, false))
            .chain(short.into_iter().map(|a| (a, true)));
        for ((o, kind, toks), group_only) in all_aliases {
            let strong = alias_is_strong(&toks);
            let mut meta = kind;
            if strong {
                meta |= ALIAS_STRONG;
            }
            if group_only {
                meta |= ALIAS_GROUP_ONLY;
            }
            // A corrected token stands for a brand only as much as the brand is distinctive.
            if (strong && toks.len() > 1) || toks.iter().any(|t| distinctive(t)) {
                meta |= ALIAS_STRONG_CORRECTED;
            }
            out.alias_owner.push(o);
            out.alias_meta.push(meta);
            alias_words.push(toks.iter().map(|t| wid(t)).collect());
        }
        // Number the aliases in the order the trie lists them, so that the trie's items need not
        // be stored (they are 0, 1, 2 ...); within a node the order they were listed in stays.
        let trie = TrieData::build(&alias_words);
        out.alias_owner = trie
            .items
            .iter()
            .map(|&a| out.alias_owner[a as usize])
            .collect();
        out.alias_meta = trie
            .items
            .iter()
            .map(|&a| out.alias_meta[a as usize])
            .collect();
        out.aliases = TrieData {
            items: (0..trie.items.len() as u32).collect(),
            ..trie
        };

        let mut doms: Vec<(String, u32)> = domains.into_iter().collect();
        crate::sort::sort(&mut doms);
        out.domains = doms;

        for fam in 0..next_family {
            if let Some(v) = family_vocab.get(&fam) {
                let mut ws: Vec<u32> = v.iter().map(|t| wid(t)).collect();
                crate::sort::sort(&mut ws);
                out.fam_vocab.extend(ws);
            }
            out.fam_vocab_end.push(out.fam_vocab.len() as u32);
        }

        let mut cue_words: Vec<Vec<u32>> = Vec::new();
        for (kind, cat, toks) in &cues {
            out.cue_kind.push(*kind);
            out.cue_cat.push(cat.clone());
            cue_words.push(toks.iter().map(|t| wid(t)).collect());
        }
        out.cues = TrieData::build(&cue_words);
        out.word_start.push(0);
        for w in &words {
            out.word_text.push_str(w);
            out.word_start.push(out.word_text.len() as u32);
        }
        out
    }

    /// Word `i` of the table.
    pub fn word(&self, i: usize) -> &str {
        &self.word_text[self.word_start[i] as usize..self.word_start[i + 1] as usize]
    }

    /// The bytes `build.rs` embeds after the catalog's own (`crate::catalog::compact`): counts
    /// and numbers as LEB128 varints (ascending lists as deltas), the sorted word list
    /// front-coded. What the catalog's bytes hold already is left out and made again when
    /// decoding: the owners' ids, names and categories ([`IndexData::decode_core`]), the domain
    /// table and the families' vocabularies (the words of their aliases and domain labels;
    /// [`Deferred`], on first use).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.bytes(MAGIC);
        let n = self.word_start.len().saturating_sub(1);
        w.uint(n as u64);
        let mut prev: &str = "";
        for word in (0..n).map(|i| self.word(i)) {
            let common = prev
                .bytes()
                .zip(word.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            // Whole characters only, so that every suffix is UTF-8.
            let common = (0..=common)
                .rev()
                .find(|&i| word.is_char_boundary(i))
                .unwrap_or(0);
            w.uint(common as u64);
            w.str(&word[common..]);
            prev = word;
        }
        w.u8s(&self.word_flags);
        // Owners are the groups, the apps and the resellers in catalog order (`build`), each
        // group's default the owner of its `defaultApp`: only the families are not the
        // catalog's.
        w.uint(self.owners.len() as u64);
        for o in &self.owners {
            w.uint(o.family as u64);
        }
        write_u32s(&mut w, &self.alias_owner, false);
        w.u8s(&self.alias_meta);
        write_trie(&mut w, &self.aliases, false);
        w.uint(self.fam_vocab_end.len() as u64);
        w.u8s(&self.cue_kind);
        w.strs(&self.cue_cat);
        write_trie(&mut w, &self.cues, true);
        w.0
    }

    /// Reads the catalog's bytes followed by [`IndexData::encode`]'s (the blob `build.rs`
    /// embeds); `None` when they are not such bytes. All of it: [`IndexData::decode_core`] and
    /// then the tables it leaves to first use, made by the same code an `Index` makes them with.
    pub fn decode(blob: &[u8]) -> Option<IndexData<'_>> {
        let (mut d, rest) = IndexData::decode_core(blob)?;
        d.domains = rest.domain_table()?;
        let (aliases, owners) = (&d.aliases, &d.owners);
        let (end, vocab) = family_vocab(
            &prefix_sums(&aliases.child_count),
            &aliases.edge_word,
            &prefix_sums(&aliases.item_count),
            &|a| {
                let meta = *d.alias_meta.get(a)?;
                Some((*d.alias_owner.get(a)?, meta & ALIAS_GROUP_ONLY != 0))
            },
            &|o| Some(owners.get(o as usize)?.family),
            &mut d.domains.iter().map(|(k, o)| (k.as_str(), *o)),
            &|w| d.word_id(w),
            rest.families,
        )?;
        d.fam_vocab_end = end;
        d.fam_vocab = vocab;
        Some(d)
    }

    /// [`IndexData::decode`] without the domain table and the families' vocabularies (left
    /// empty): what constructing the first `Engine` pays. The owners' ids and names are read
    /// from the leading fields of their entries; the rest of the catalog is not read. The
    /// returned [`Deferred`] makes the two tables when something needs them.
    pub fn decode_core(blob: &[u8]) -> Option<(IndexData<'_>, Deferred<'_>)> {
        let (entries, at) = Entries::read(blob)?;
        let mut r = Reader::new(&blob[at..]);
        if r.take(MAGIC.len())? != MAGIC {
            return None;
        }
        let mut d = IndexData::default();
        let n = r.uint()? as usize;
        d.word_start.reserve(n.min(blob.len()) + 1);
        d.word_start.push(0);
        // Words are ~7 bytes: reserving for 8 spares the text's doublings. The text is checked
        // to be UTF-8 once, whole, and every word to start on a character.
        let mut text: Vec<u8> = Vec::with_capacity(n.min(blob.len()) * 8);
        let mut prev = 0usize;
        for _ in 0..n {
            let common = r.uint()? as usize;
            let start = text.len();
            if common > start - prev {
                return None;
            }
            // The shared prefix of the previous word, then the rest.
            text.extend_from_within(prev..prev + common);
            let rest = r.uint()? as usize;
            text.extend_from_slice(r.take(rest)?);
            d.word_start.push(text.len() as u32);
            prev = start;
        }
        d.word_text = String::from_utf8(text).ok()?;
        if !d
            .word_start
            .iter()
            .all(|&s| d.word_text.is_char_boundary(s as usize))
        {
            return None;
        }
        d.word_flags = r.u8s()?;

        // The owners: the groups, the apps and the resellers in catalog order (`build`), their
        // texts from the catalog's entries.
        let [apps, groups, resellers] = entries.counts;
        let n = r.uint()? as usize;
        if n != groups + apps + resellers {
            return None;
        }
        d.owners.reserve(n);
        for o in 0..n {
            let family = r.uint()? as u32;
            let owner = if o < groups {
                let (id, name, default_app) = entries.group(o)?;
                OwnerData {
                    kind: OWNER_GROUP,
                    idx: o as u32,
                    family,
                    marketplace: false,
                    id: Cow::Borrowed(id),
                    name: Cow::Borrowed(name),
                    category: Cow::Borrowed(""),
                    default_owner: match default_app {
                        0 => NONE,
                        k if k > apps as u64 => return None,
                        k => u32::try_from(groups as u64 + k - 1).ok()?,
                    },
                }
            } else if o < groups + apps {
                let i = o - groups;
                let a = entries.app(i)?;
                OwnerData {
                    kind: OWNER_APP,
                    idx: i as u32,
                    family,
                    marketplace: false,
                    id: Cow::Borrowed(a.id),
                    name: Cow::Borrowed(a.name),
                    category: Cow::Borrowed(CATEGORIES.get(usize::from(a.category))?),
                    default_owner: NONE,
                }
            } else {
                let i = o - groups - apps;
                let (marketplace, id, name) = entries.reseller(i)?;
                OwnerData {
                    kind: OWNER_RESELLER,
                    idx: i as u32,
                    family,
                    marketplace,
                    id: Cow::Borrowed(id),
                    name: Cow::Borrowed(name),
                    category: Cow::Borrowed(""),
                    default_owner: NONE,
                }
            };
            d.owners.push(owner);
        }
        d.alias_owner = read_u32s(&mut r, false)?;
        d.alias_meta = r.u8s()?;
        d.aliases = read_trie(&mut r, false)?;
        let families = r.uint()? as usize;
        d.cue_kind = r.u8s()?;
        d.cue_cat = r.strs()?;
        d.cues = read_trie(&mut r, true)?;
        if !r.done()
            || d.alias_owner.len() != d.aliases.items.len()
            || d.alias_meta.len() != d.alias_owner.len()
        {
            return None;
        }
        Some((d, Deferred { entries, families }))
    }

    /// The id of `word`: words are sorted, so it is found by bisection.
    fn word_id(&self, word: &str) -> Option<u32> {
        let n = self.word_start.len().saturating_sub(1);
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.word(mid).cmp(word) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }
}

/// What [`IndexData::decode_core`] leaves to first use, and makes then.
pub struct Deferred<'a> {
    entries: Entries<'a>,
    families: usize,
}

impl<'a> Deferred<'a> {
    /// Every (normalized domain, owner) of the catalog, in the order `build` inserts them:
    /// the groups', then the apps', then the resellers'; a domain is borrowed when the catalog
    /// writes it normalized.
    pub fn each_domain(&self, f: &mut dyn FnMut(Cow<'a, str>, u32)) -> Option<()> {
        let [apps, groups, resellers] = self.entries.counts;
        for o in 0..groups + apps + resellers {
            // Entries are the apps, then the groups, then the resellers.
            let entry = if o < groups {
                apps + o
            } else if o < groups + apps {
                o - groups
            } else {
                o
            };
            for d in self.entries.domains(entry)?.iter() {
                if let Some(d) = normal_host(d) {
                    f(d, o as u32);
                }
            }
        }
        Some(())
    }

    /// The domain table, as `build` makes it: sorted by domain, a later owner taking a domain
    /// an earlier one had.
    pub fn domain_table(&self) -> Option<Vec<(String, u32)>> {
        let mut table: Vec<(String, u32)> = Vec::new();
        self.each_domain(&mut |d, o| table.push((d.into_owned(), o)))?;
        // Sorted by domain, the last of equal domains kept (as a map's insert would).
        let mut order: Vec<u32> = (0..table.len() as u32).collect();
        crate::sort::sort_by(&mut order, |&a, &b| {
            table[a as usize]
                .0
                .cmp(&table[b as usize].0)
                .then(b.cmp(&a))
        });
        order.dedup_by(|a, b| table[*a as usize].0 == table[*b as usize].0);
        let mut table: Vec<Option<(String, u32)>> = table.into_iter().map(Some).collect();
        Some(
            order
                .iter()
                .filter_map(|&i| table[i as usize].take())
                .collect(),
        )
    }

    /// How many families the index has.
    pub fn families(&self) -> usize {
        self.families
    }
}

/// `[0, c0, c0 + c1, ...]`: where each node's edges or items start, given how many it has.
pub fn prefix_sums(counts: &[u32]) -> Vec<u32> {
    let mut v = Vec::with_capacity(counts.len() + 1);
    let mut acc = 0u32;
    v.push(0);
    for &c in counts {
        acc = acc.wrapping_add(c);
        v.push(acc);
    }
    v
}

/// The families' vocabularies (`IndexData::fam_vocab_end`, `fam_vocab`): the words of every
/// alias listed in the catalog (the group-only short names and cues are not) and the first
/// label of every domain (in any order). The alias trie is given by where each node's edges and items start
/// ([`prefix_sums`]); `alias` gives an alias's owner and whether it is group-only.
#[allow(clippy::too_many_arguments)]
pub fn family_vocab(
    edge_start: &[u32],
    edge_word: &[u32],
    item_start: &[u32],
    alias: &dyn Fn(usize) -> Option<(u32, bool)>,
    family: &dyn Fn(u32) -> Option<u32>,
    domains: &mut dyn Iterator<Item = (&str, u32)>,
    word_id: &dyn Fn(&str) -> Option<u32>,
    families: usize,
) -> Option<(Vec<u32>, Vec<u32>)> {
    // (family, word) pairs, then grouped by family with a counting sort: one allocation
    // instead of one per family.
    let nodes = item_start.len().checked_sub(1)?;
    if edge_start.len() != item_start.len() {
        return None;
    }
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(*item_start.last()? as usize * 2);
    // Node k > 0 is reached by edge k - 1: its parent.
    let mut parent = vec![0u32; nodes];
    for p in 0..nodes {
        for e in edge_start[p]..edge_start[p + 1] {
            *parent.get_mut(e as usize + 1)? = p as u32;
        }
    }
    for node in 0..nodes {
        for item in item_start[node]..item_start[node + 1] {
            let (owner, group_only) = alias(item as usize)?;
            if group_only {
                continue;
            }
            let fam = family(owner)?;
            let mut k = node;
            while k > 0 {
                pairs.push((fam, *edge_word.get(k - 1)?));
                k = parent[k] as usize;
            }
        }
    }
    for (dom, o) in domains {
        let label = dom.split('.').next().unwrap_or_default();
        pairs.push((family(o)?, word_id(label)?));
    }
    let mut end = vec![0u32; families + 1];
    for &(f, _) in &pairs {
        *end.get_mut(f as usize + 1)? += 1;
    }
    for i in 1..end.len() {
        end[i] += end[i - 1];
    }
    let mut next = end.clone();
    let mut words = vec![0u32; pairs.len()];
    for &(f, w) in &pairs {
        let at = &mut next[f as usize];
        words[*at as usize] = w;
        *at += 1;
    }
    let (mut vocab_end, mut vocab) = (Vec::with_capacity(families), Vec::new());
    for f in 0..families {
        let v = &mut words[end[f] as usize..end[f + 1] as usize];
        crate::sort::sort(v);
        let mut last = None;
        for &w in v.iter() {
            if last != Some(w) {
                vocab.push(w);
                last = Some(w);
            }
        }
        vocab_end.push(vocab.len() as u32);
    }
    Some((vocab_end, vocab))
}

const MAGIC: &[u8] = b"bcsi5";

/// Family -> the normalized names of its vendor group ("google", "microsoft").
fn group_names(
    owners: &[OwnerData<'_>],
    catalog: &CatalogData,
    lx: &Lexicon,
) -> HashMap<u32, Vec<Vec<String>>> {
    let mut out: HashMap<u32, Vec<Vec<String>>> = HashMap::default();
    for o in owners.iter().filter(|o| o.kind == OWNER_GROUP) {
        let g = &catalog.vendor_groups[o.idx as usize];
        let names = out.entry(o.family).or_default();
        for n in std::iter::once(&g.name).chain(g.keywords.iter()) {
            let t = text_tokens(n);
            // "Salesforce, Inc." names the group "salesforce".
            let refs: Vec<&str> = t.iter().map(String::as_str).collect();
            let keep = refs.len() - lx.legal_suffix_len(&refs);
            if keep > 0 {
                names.push(t[..keep].to_vec());
            }
        }
    }
    out
}

/// `with_items`: false when the items are 0, 1, 2 ... in node order.
fn write_trie(w: &mut Writer, t: &TrieData, with_items: bool) {
    write_u32s(w, &t.child_count, false);
    // Edge words ascend within a node: deltas from the node's previous edge.
    w.uint(t.edge_word.len() as u64);
    let mut e = 0usize;
    for &c in &t.child_count {
        let mut prev = 0u32;
        for &x in &t.edge_word[e..e + c as usize] {
            w.uint((x - prev) as u64);
            prev = x;
        }
        e += c as usize;
    }
    write_u32s(w, &t.item_count, false);
    if with_items {
        write_u32s(w, &t.items, false);
    }
}

/// `ascending`: written as deltas (end offsets, sorted id lists).
fn write_u32s(w: &mut Writer, v: &[u32], ascending: bool) {
    w.uint(v.len() as u64);
    let mut prev = 0u32;
    for &x in v {
        if ascending {
            w.uint(x.wrapping_sub(prev) as u64);
            prev = x;
        } else {
            w.uint(x as u64);
        }
    }
}

fn read_trie(r: &mut Reader, with_items: bool) -> Option<TrieData> {
    let child_count = read_u32s(r, false)?;
    let n = r.uint()? as usize;
    let mut edge_word = Vec::with_capacity(n.min(r.b.len()));
    for &c in &child_count {
        let mut prev = 0u32;
        for _ in 0..c {
            prev = prev.checked_add(r.uint()? as u32)?;
            edge_word.push(prev);
        }
    }
    if edge_word.len() != n || child_count.len() != n + 1 {
        return None;
    }
    let item_count = read_u32s(r, false)?;
    if item_count.len() != child_count.len() {
        return None;
    }
    let items = if with_items {
        read_u32s(r, false)?
    } else {
        (0..item_count.iter().map(|&c| c as usize).sum::<usize>() as u32).collect()
    };
    Some(TrieData {
        child_count,
        edge_word,
        item_count,
        items,
    })
}

fn read_u32s(r: &mut Reader, ascending: bool) -> Option<Vec<u32>> {
    let n = r.uint()? as usize;
    let mut v = Vec::with_capacity(n.min(r.b.len()));
    let mut prev = 0u32;
    for _ in 0..n {
        let x = r.uint()? as u32;
        if ascending {
            prev = prev.wrapping_add(x);
            v.push(prev);
        } else {
            v.push(x);
        }
    }
    Some(v)
}
