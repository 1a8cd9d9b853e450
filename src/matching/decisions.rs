//! Match decisions as data (Engine v2, step 3).
//!
//! A line's verdict (its [`Decision`] and [`LineRole`]) is a function of its key alone: the
//! vendor as the matcher reads it (name, website, e-mail), the line's description texts, its
//! account number and whether it is a comment or a charge; and of the catalog, the rules and
//! the customer vocabulary. The amounts only weigh the invoice's vote, which is recomputed per
//! invoice from the verdicts ([`super::Matcher::match_invoice`]). So each distinct key is
//! analysed once and its verdict kept in a [`Table`]; monthly invoices repeat their vendor and
//! descriptions, so the table grows with the distinct texts, not with the invoices.
//!
//! What a verdict depends on is recorded with it, and checked, never assumed:
//! - the catalog: the table is for one `catalog_version` (a hash of the compiled index, or of
//!   the caller's catalog data); a matcher of another catalog starts empty;
//! - the rules: the rule that decided the line (by its place in the rule set, kept in step
//!   with each rule's canonical hash). A removed or changed rule redoes the verdicts it decided;
//!   an added or changed rule redoes the verdicts of the keys it fires on;
//! - the vocabulary: the words whose genericness the analysis consulted (see
//!   [`super::Vocabulary`]); a word that becomes or stops being generic, or whose vendor count
//!   (quoted in the reason) changes, redoes exactly the verdicts that consulted it;
//! - the matcher's code: a [`DecisionsSnapshot`] carries the build id (a hash of every source
//!   file, `build.rs`); a snapshot of another build is not reused.
//!
//! The table is kept between runs as a [`DecisionsSnapshot`]: texts interned once, integer
//! handles everywhere else, matches and rejections de-duplicated. A snapshot is untrusted:
//! every handle is bounds-checked (`STATE_INVALID` with the path), and its fingerprints decide
//! what of it is reused.

use super::{
    Candidate, DecidedBy, Decision, Evidence, LineInfo, LineRole, Match, Rejected, VendorInfo, Via,
};
use crate::bc::LineType;
use crate::engine::KeyHasher;
use crate::error::{ConfigError, ErrorCode};
use crate::fastmap::{FastMap, FastSet};
use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::hash::Hash;
use std::sync::Arc;

const NONE: u32 = u32::MAX;

/// Verdicts kept before those unused since the last prune are dropped on the way: an engine
/// prunes after every build, but one only asked to explain (a dashboard) never builds.
const PRUNE_OVER: usize = 1 << 20;

/// FNV-1a, 64 bits, then a final mix: stable across processes and Rust versions, which a
/// fingerprint kept with a state must be (the standard library's hashers promise neither).
pub(crate) fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.iter() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Parts are delimited: ("ab", "c") and ("a", "bc") differ.
        h ^= p.len() as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// How the verdict reads a line's type: only comments and charges are told apart.
pub(crate) fn line_class(t: LineType) -> u8 {
    match t {
        LineType::Comment => 1,
        LineType::Charge => 2,
        _ => 0,
    }
}

/// The vendor's identity as the invoice combination needs it when no line decides.
#[derive(Debug, Clone)]
pub(crate) struct VendorFacts {
    /// The catalog recognises the vendor (its name or a domain of its card).
    pub known: bool,
    pub rejected: Option<Rejected>,
}

struct VendorRow {
    /// name, website, e-mail (text handles, `NONE` when absent).
    key: [u32; 3],
    facts: Option<VendorFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct LineKey {
    vendor: u32,
    description: u32,
    description2: u32,
    account: u32,
    class: u8,
}

/// Whether the rule at a place of the rule set fires on (vendor name, description,
/// description2, account).
pub(crate) type RuleFires<'a> =
    &'a dyn Fn(usize, &str, Option<&str>, Option<&str>, Option<&str>) -> bool;

/// What analysing a line consulted, beyond its key.
#[derive(Debug, Default)]
pub(crate) struct Deps {
    /// The rule that decided it (its place in the matcher's rule set).
    pub rule: Option<u32>,
    /// Words whose genericness in the customer's data was looked up.
    pub words: Vec<u32>,
}

struct Entry {
    decision: Kept,
    role: LineRole,
    rule: Option<u32>,
    words: Box<[u32]>,
    /// Read or written since the last [`Table::prune`].
    used: bool,
}

/// A [`Decision`] as kept: a quarter of its size inline (a large table is most of a verdict's
/// memory; one is kept per distinct key, and a tenant with 100,000 invoices has ~250,000).
/// Matches and rejections are shared: a restored table makes each distinct one once.
struct Kept {
    matched: Option<Arc<Match>>,
    ignored_by_rule: Option<Box<str>>,
    rejected: Option<Arc<Rejected>>,
}

impl Kept {
    fn decision(&self) -> Decision {
        Decision {
            matched: self.matched.clone(),
            ignored_by_rule: self.ignored_by_rule.as_deref().map(str::to_owned),
            rejected: self.rejected.clone(),
        }
    }
}

/// One allocation per distinct match and rejection the table holds. Lines that differ only in
/// a date or a number ("Slack Pro - Nov 2026", "... Dec 2026") get equal verdicts, one per
/// distinct key: kept apart, the first sync of 50,000 bench invoices held ~100 MB of verdicts
/// (natively), most of it copies of a few thousand matches. A restored table shares them
/// already (its snapshot stores each once); this shares a fresh table's the same way. Keyed by
/// a hash of the content; a hash that two unequal records share keeps the later one apart
/// (rare, and only memory). Bounded as the interner of texts is: what only this map holds is
/// dropped once it has doubled since its last pruning.
#[derive(Default)]
struct Shared {
    matches: FastMap<u64, Arc<Match>>,
    rejections: FastMap<u64, Arc<Rejected>>,
    /// Entries after the last pruning (at least `SHARED_FLOOR`).
    pruned_at: usize,
}

const SHARED_FLOOR: usize = 4096;

impl Shared {
    fn matched(&mut self, m: Arc<Match>) -> Arc<Match> {
        self.prune_if_grown();
        share(&mut self.matches, m, hash_match)
    }

    fn rejected(&mut self, r: Arc<Rejected>) -> Arc<Rejected> {
        self.prune_if_grown();
        share(&mut self.rejections, r, |r, h| hash_rejected(Some(r), h))
    }

    fn prune_if_grown(&mut self) {
        let len = self.matches.len() + self.rejections.len();
        if len < self.pruned_at.max(SHARED_FLOOR) * 2 {
            return;
        }
        self.matches.retain(|_, m| Arc::strong_count(m) > 1);
        self.rejections.retain(|_, r| Arc::strong_count(r) > 1);
        self.pruned_at = self.matches.len() + self.rejections.len();
    }
}

/// The one `map` holds equal to `x` (by `hash`, then by value), else `x`, kept when its hash is
/// free.
fn share<T: PartialEq>(
    map: &mut FastMap<u64, Arc<T>>,
    x: Arc<T>,
    hash: impl Fn(&T, &mut crate::fastmap::FxHasher),
) -> Arc<T> {
    let mut h = crate::fastmap::FxHasher::default();
    hash(&x, &mut h);
    match map.entry(std::hash::Hasher::finish(&h)) {
        std::collections::hash_map::Entry::Occupied(held) if **held.get() == *x => {
            held.get().clone()
        }
        std::collections::hash_map::Entry::Occupied(_) => x,
        std::collections::hash_map::Entry::Vacant(slot) => slot.insert(x).clone(),
    }
}

/// The decisions of one matcher (see the module docs).
#[derive(Default)]
pub(crate) struct Table {
    /// Shared between the list and the index: one allocation per distinct text (restored from
    /// a state: the same allocation as the held documents' texts, `src/text.rs`).
    texts: Vec<Text>,
    text_ix: FastMap<Text, u32>,
    vendors: Vec<VendorRow>,
    vendor_ix: FastMap<[u32; 3], u32>,
    lines: FastMap<LineKey, Entry>,
    /// Equal matches and rejections of fresh verdicts, shared (see [`Shared`]).
    shared: Shared,
    /// The generic words (word id -> vendor count) the verdicts were decided with.
    vocab: FastMap<u32, u32>,
    /// `vocab` came from a snapshot and is not yet reconciled with the matcher's vocabulary
    /// (an engine restores its decisions before it holds the documents the vocabulary is
    /// worked out from: reconciling at once would redo every verdict that consulted a word).
    pub vocab_pending: bool,
    /// Verdicts analysed (not read from the table) over the table's life: what the tests count.
    pub computed: u64,
}

/// A verdict read from the table.
pub(crate) struct Verdict {
    pub decision: Decision,
    pub role: LineRole,
}

impl Table {
    fn text(&self, s: &str) -> Option<u32> {
        self.text_ix.get(s).copied()
    }

    fn intern(&mut self, s: &str) -> u32 {
        match self.text_ix.get(s) {
            Some(&i) => i,
            None => crate::fastmap::number(&mut self.texts, &mut self.text_ix, Text::from(s)),
        }
    }

    /// [`Table::intern`] for a text another table holds: its allocation is shared, not copied.
    fn intern_text(&mut self, t: &Text) -> u32 {
        crate::fastmap::number(&mut self.texts, &mut self.text_ix, t.clone())
    }

    fn opt_text(&self, s: Option<&str>) -> Option<u32> {
        match s {
            None => Some(NONE),
            Some(s) => self.text(s),
        }
    }

    fn opt_intern(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NONE, |s| self.intern(s))
    }

    fn text_of(&self, i: u32) -> Option<&str> {
        self.texts.get(i as usize).map(|s| &**s)
    }

    /// The vendor's row, when the table has one.
    pub fn vendor(&self, v: &VendorInfo) -> Option<u32> {
        let key = [
            self.text(v.name)?,
            self.opt_text(v.website)?,
            self.opt_text(v.email)?,
        ];
        self.vendor_ix.get(&key).copied()
    }

    pub fn vendor_facts(&self, vendor: u32) -> Option<&VendorFacts> {
        self.vendors.get(vendor as usize)?.facts.as_ref()
    }

    pub fn intern_vendor(&mut self, v: &VendorInfo, facts: &VendorFacts) -> u32 {
        let key = [
            self.intern(v.name),
            self.opt_intern(v.website),
            self.opt_intern(v.email),
        ];
        let ix = match self.vendor_ix.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.vendors.len() as u32;
                self.vendors.push(VendorRow { key, facts: None });
                self.vendor_ix.insert(key, i);
                i
            }
        };
        let row = &mut self.vendors[ix as usize];
        if row.facts.is_none() {
            row.facts = Some(facts.clone());
        }
        ix
    }

    fn key(&self, vendor: u32, l: &LineInfo) -> Option<LineKey> {
        Some(LineKey {
            vendor,
            description: self.text(l.description)?,
            description2: self.opt_text(l.description2)?,
            account: self.opt_text(l.account_number)?,
            class: line_class(l.line_type),
        })
    }

    /// The verdict of `l` from `vendor`, when it was decided before.
    pub fn get(&mut self, vendor: u32, l: &LineInfo) -> Option<Verdict> {
        let key = self.key(vendor, l)?;
        let e = self.lines.get_mut(&key)?;
        e.used = true;
        Some(Verdict {
            decision: e.decision.decision(),
            role: e.role,
        })
    }

    /// Keeps the verdict of `l` from `vendor`, its match and rejection shared with equal ones
    /// the table holds ([`Shared`]); returns the decision kept, for the caller to share too.
    pub fn insert(
        &mut self,
        vendor: u32,
        l: &LineInfo,
        decision: Decision,
        role: LineRole,
        deps: Deps,
    ) -> Decision {
        if self.lines.len() >= PRUNE_OVER {
            self.prune();
        }
        let key = LineKey {
            vendor,
            description: match l.held_description {
                Some(t) => self.intern_text(t),
                None => self.intern(l.description),
            },
            description2: self.opt_intern(l.description2),
            account: self.opt_intern(l.account_number),
            class: line_class(l.line_type),
        };
        let kept = Kept {
            matched: decision.matched.map(|m| self.shared.matched(m)),
            ignored_by_rule: decision.ignored_by_rule.map(String::into_boxed_str),
            rejected: decision.rejected.map(|r| self.shared.rejected(r)),
        };
        let shared = kept.decision();
        self.lines.insert(
            key,
            Entry {
                decision: kept,
                role,
                rule: deps.rule,
                words: deps.words.into(),
                used: true,
            },
        );
        shared
    }

    /// Room for `lines` verdicts in all (growing the maps key by key rehashes them ~20 times
    /// on a first build). Only an empty table reserves: `lines` counts every line, repeats
    /// included, so a table already holding the verdicts (restored, or built before) would
    /// only be rehashed into room it never fills.
    pub fn reserve(&mut self, lines: usize) {
        if !self.lines.is_empty() {
            return;
        }
        let more = lines;
        self.lines.reserve(more);
        self.text_ix.reserve(more);
        self.texts.reserve(more);
    }

    /// Forgets every verdict (the count of those analysed, and the vocabulary the next ones
    /// are decided with, stay).
    pub fn clear(&mut self) {
        *self = Table {
            computed: self.computed,
            vocab: std::mem::take(&mut self.vocab),
            vocab_pending: self.vocab_pending,
            ..Default::default()
        };
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Forgets the verdicts not read or written since the last prune (documents no longer
    /// held, lines only ever explained); the vendor rows and texts are compacted on export.
    pub fn prune(&mut self) {
        self.lines.retain(|_, e| std::mem::take(&mut e.used));
    }

    /// Takes the verdicts of `other` whose keys this table does not hold (the table of another
    /// company's state, merged into one engine by `Engine::from_states`; both of one catalog
    /// and one rule set). A verdict is taken only when every word it consulted stands in
    /// `other`'s vocabulary as in this one's (generic or not, with the same count): this table
    /// is reconciled with the merged documents' vocabulary from its own, so a verdict decided
    /// under another vocabulary must agree with this one on the words it looked up, or its
    /// key is analysed again. A table holding no verdict takes `other` whole, vocabulary and
    /// all. Vendor facts do not depend on the vocabulary and are taken as they are.
    pub fn absorb(&mut self, other: Table) {
        if self.lines.is_empty() {
            let computed = self.computed;
            *self = other;
            self.computed = computed;
            return;
        }
        let Table {
            texts,
            text_ix: _,
            vendors,
            vendor_ix: _,
            lines,
            shared: _,
            vocab,
            vocab_pending: _,
            computed: _,
        } = other;
        let mut text_map: Vec<u32> = vec![NONE; texts.len()];
        let mut vendor_map: Vec<u32> = vec![NONE; vendors.len()];
        let mut text = |table: &mut Table, i: u32| -> u32 {
            match text_map.get(i as usize) {
                None => NONE,
                Some(&m) if m != NONE => m,
                Some(_) => {
                    let m = table.intern_text(&texts[i as usize]);
                    text_map[i as usize] = m;
                    m
                }
            }
        };
        for (key, e) in lines {
            if !e.words.iter().all(|w| vocab.get(w) == self.vocab.get(w)) {
                continue;
            }
            let Some(row) = vendors.get(key.vendor as usize) else {
                continue;
            };
            let vendor = match vendor_map[key.vendor as usize] {
                NONE => {
                    let k = [
                        text(self, row.key[0]),
                        text(self, row.key[1]),
                        text(self, row.key[2]),
                    ];
                    let ix = match self.vendor_ix.get(&k) {
                        Some(&i) => i,
                        None => {
                            let i = self.vendors.len() as u32;
                            self.vendors.push(VendorRow {
                                key: k,
                                facts: None,
                            });
                            self.vendor_ix.insert(k, i);
                            i
                        }
                    };
                    let mine = &mut self.vendors[ix as usize];
                    if mine.facts.is_none() {
                        mine.facts = row.facts.clone();
                    }
                    vendor_map[key.vendor as usize] = ix;
                    ix
                }
                ix => ix,
            };
            let key = LineKey {
                vendor,
                description: text(self, key.description),
                description2: text(self, key.description2),
                account: text(self, key.account),
                class: key.class,
            };
            self.lines.entry(key).or_insert(e);
        }
    }

    /// Makes the verdicts agree with `generic` (word id -> vendor count): the verdicts that
    /// consulted a word whose count changed, or that became or stopped being generic, go.
    pub fn reconcile_vocabulary(&mut self, generic: &FastMap<u32, u32>) {
        self.vocab_pending = false;
        if self.vocab == *generic {
            return;
        }
        let mut changed: FastSet<u32> = FastSet::default();
        for (w, n) in &self.vocab {
            if generic.get(w) != Some(n) {
                changed.insert(*w);
            }
        }
        for w in generic.keys() {
            if !self.vocab.contains_key(w) {
                changed.insert(*w);
            }
        }
        self.lines
            .retain(|_, e| !e.words.iter().any(|w| changed.contains(w)));
        self.vocab = generic.clone();
    }

    /// Makes the verdicts agree with new rules. `old` and `new` are the rules' canonical
    /// hashes in rule-set order (by priority; rules of one priority never fire on the same
    /// line, so the order of the kept rules between them cannot change a verdict). A verdict
    /// decided by a rule that is gone goes; a verdict whose key an added rule fires on goes
    /// (`fires(rule, vendor name, description, description2, account)`).
    pub fn reconcile_rules(&mut self, old: &[u64], new: &[u64], fires: RuleFires) {
        if old == new {
            return;
        }
        let new_at: FastMap<u64, u32> = new
            .iter()
            .enumerate()
            .map(|(i, h)| (*h, i as u32))
            .collect();
        let old_set: FastSet<u64> = old.iter().copied().collect();
        let added: Vec<usize> = (0..new.len())
            .filter(|&i| !old_set.contains(&new[i]))
            .collect();
        let texts = &self.texts;
        let vendors = &self.vendors;
        let text = |i: u32| -> Option<&str> {
            if i == NONE {
                None
            } else {
                texts.get(i as usize).map(|s| &**s)
            }
        };
        self.lines.retain(|k, e| {
            if let Some(r) = e.rule {
                match old.get(r as usize).and_then(|h| new_at.get(h)) {
                    Some(&n) => e.rule = Some(n),
                    None => return false,
                }
            }
            if added.is_empty() {
                return true;
            }
            let vendor = vendors
                .get(k.vendor as usize)
                .and_then(|v| text(v.key[0]))
                .unwrap_or("");
            let d = text(k.description);
            let d2 = text(k.description2);
            let acct = text(k.account);
            !added
                .iter()
                .any(|&r| fires(r, vendor, Some(d.unwrap_or("")), d2, acct))
        });
    }

    // ----- snapshots -----

    /// A digest of everything [`Table::export`] writes, without exporting: equal when the
    /// exports are, different when they differ (up to the digest's collisions); the state key
    /// (`Engine::state_key`) reads it. The export orders the verdicts by their key's texts and
    /// numbers texts in that order, both a function of the content, so the digest is taken
    /// order-free over the verdicts, each by its texts (not their handles, which differ between
    /// two tables of the same content: one restored, one built). Records are destructured
    /// without `..`: a field added later does not compile until it is digested here.
    pub fn digest(&self, catalog_version: u64, rules: &[u64]) -> (u64, u64) {
        let mut h = KeyHasher::plain();
        catalog_version.hash(&mut h);
        rules.hash(&mut h);
        let mut vocab = (0u64, 0u64);
        for (w, n) in &self.vocab {
            let mut x = KeyHasher::plain();
            (w, n).hash(&mut x);
            add(&mut vocab, x.pair());
        }
        (self.vocab.len(), vocab).hash(&mut h);
        // As the export writes a vendor: no facts read as not known, not rejected.
        let vendors: Vec<(u64, u64)> = self
            .vendors
            .iter()
            .map(|VendorRow { key, facts }| {
                let mut x = KeyHasher::plain();
                for t in key {
                    self.text_of(*t).hash(&mut x);
                }
                let (known, rejected) = facts
                    .as_ref()
                    .map_or((false, None), |f| (f.known, f.rejected.as_ref()));
                known.hash(&mut x);
                hash_rejected(rejected, &mut x);
                x.pair()
            })
            .collect();
        let mut lines = (0u64, 0u64);
        let mut n = 0u64;
        for (k, e) in &self.lines {
            // The export leaves out a verdict without its vendor row (none in practice).
            let Some(vendor) = vendors.get(k.vendor as usize) else {
                continue;
            };
            let LineKey {
                vendor: _,
                description,
                description2,
                account,
                class,
            } = *k;
            let Entry {
                decision,
                role,
                rule,
                words,
                // Not exported.
                used: _,
            } = e;
            let Kept {
                matched,
                ignored_by_rule,
                rejected,
            } = decision;
            let mut x = KeyHasher::plain();
            vendor.hash(&mut x);
            for t in [description, description2, account] {
                self.text_of(t).hash(&mut x);
            }
            class.hash(&mut x);
            role_code(*role).hash(&mut x);
            match matched {
                Some(m) => {
                    1u8.hash(&mut x);
                    hash_match(m, &mut x);
                }
                None => 0u8.hash(&mut x),
            }
            ignored_by_rule.hash(&mut x);
            hash_rejected(rejected.as_deref(), &mut x);
            rule.hash(&mut x);
            words.hash(&mut x);
            add(&mut lines, x.pair());
            n += 1;
        }
        (n, lines).hash(&mut h);
        h.pair()
    }

    /// The table as data, with the fingerprints it was decided with.
    pub fn export<'a>(
        &'a self,
        catalog_version: u64,
        rules: &[u64],
        word: &dyn Fn(u32) -> &'a str,
    ) -> DecisionsSnapshot {
        let (mut snapshot, texts) = self.export_parts(catalog_version, rules, word);
        snapshot.texts = texts.into_iter().map(str::to_owned).collect();
        snapshot
    }

    /// [`Table::export`] with `texts` left empty and given beside it, borrowed from the table
    /// (the state interns them into its own string table: copying each into a `String` first
    /// was a third of exporting the decisions).
    pub(crate) fn export_parts<'a>(
        &'a self,
        catalog_version: u64,
        rules: &[u64],
        word: &dyn Fn(u32) -> &'a str,
    ) -> (DecisionsSnapshot, Vec<&'a str>) {
        let mut out = SnapshotWriter::default();
        out.texts.reserve(self.texts.len());
        out.text_ix.reserve(self.texts.len());
        // In key order, so the same table always exports the same bytes: the order of the
        // key's texts, compared through each text's rank among the table's texts (one sort of
        // the texts instead of comparing up to six texts per comparison of two verdicts).
        // Handles are distinct texts, so the order of the ranks is the order of the texts, and
        // `NONE` (no text) ranks first, as `None` sorts before any text.
        let mut by_text: Vec<u32> = (0..self.texts.len() as u32).collect();
        by_text.sort_unstable_by(|&a, &b| self.texts[a as usize].cmp(&self.texts[b as usize]));
        let mut rank = vec![0u32; self.texts.len()];
        for (r, &i) in by_text.iter().enumerate() {
            rank[i as usize] = r as u32 + 1;
        }
        drop(by_text);
        let rank_of = |h: u32| rank.get(h as usize).copied().unwrap_or(0);
        // A verdict without its vendor row is left out (none in practice).
        let mut keys: Vec<([u32; 6], u8, &LineKey, &Entry, &VendorRow)> = self
            .lines
            .iter()
            .filter_map(|(k, e)| {
                let row = self.vendors.get(k.vendor as usize)?;
                let r = [
                    rank_of(row.key[0]),
                    rank_of(row.key[1]),
                    rank_of(row.key[2]),
                    rank_of(k.description),
                    rank_of(k.description2),
                    rank_of(k.account),
                ];
                Some((r, k.class, k, e, row))
            })
            .collect();
        keys.sort_unstable_by_key(|k| (k.0, k.1));
        let mut vendor_map: FastMap<u32, u32> = FastMap::default();
        let mut snap_vendors = Vec::new();
        let mut lines = Vec::with_capacity(keys.len());
        for (_, _, k, e, row) in keys {
            let vendor = match vendor_map.get(&k.vendor) {
                Some(&v) => v,
                None => {
                    let (known, rejected) = row
                        .facts
                        .as_ref()
                        .map_or((false, None), |f| (f.known, f.rejected.as_ref()));
                    let v = SnapVendor {
                        name: out.opt_text(self.text_of(row.key[0])).unwrap_or(0),
                        website: out.opt_text(self.text_of(row.key[1])),
                        email: out.opt_text(self.text_of(row.key[2])),
                        known,
                        rejected: rejected.map(|r| out.rejected(r)),
                    };
                    let ix = snap_vendors.len() as u32;
                    snap_vendors.push(v);
                    vendor_map.insert(k.vendor, ix);
                    ix
                }
            };
            // The texts an evidence span can point into, in `FIELDS` order.
            let fields = [
                self.text_of(row.key[0]),
                self.text_of(row.key[1]),
                self.text_of(row.key[2]),
                self.text_of(k.description),
                self.text_of(k.description2),
                self.text_of(k.account),
            ];
            lines.push(SnapLine {
                vendor,
                description: out.opt_text(self.text_of(k.description)).unwrap_or(0),
                description2: out.opt_text(self.text_of(k.description2)),
                account: out.opt_text(self.text_of(k.account)),
                class: k.class,
                role: role_code(e.role),
                matched: e.decision.matched.as_ref().map(|m| out.matched(m, &fields)),
                ignored_by_rule: e.decision.ignored_by_rule.as_deref().map(|r| out.text(r)),
                rejected: e.decision.rejected.as_deref().map(|r| out.rejected(r)),
                rule: e.rule,
                words: e.words.iter().map(|&w| out.text(word(w))).collect(),
            });
        }
        // By word, before their texts are interned: the map's order depends on the order its
        // words were inserted in (a restored table inserts them in the snapshot's order), and
        // the texts' numbering must not, or two exports of one table differ (and a run that
        // changed nothing would write its state again).
        let mut words: Vec<(&str, u32)> = self.vocab.iter().map(|(&w, &n)| (word(w), n)).collect();
        words.sort_unstable();
        let mut vocabulary: Vec<(u32, u32)> =
            words.iter().map(|(w, n)| (out.text(w), *n)).collect();
        vocabulary.sort_unstable();
        let snapshot = DecisionsSnapshot {
            build_id: crate::engine::BUILD_ID.to_owned(),
            catalog_version,
            rules: rules.to_vec(),
            vocabulary,
            texts: Vec::new(),
            vendors: snap_vendors,
            matches: out.matches,
            rejections: out.rejections,
            lines,
        };
        (snapshot, out.texts)
    }

    /// The table a snapshot holds, checked: `None` when it is of another build or catalog
    /// (nothing of it can be trusted then), else the table with the verdicts its rules still
    /// allow (see [`Table::reconcile_rules`]; the vocabulary is reconciled at first use).
    /// `texts` are the snapshot's texts (`snap.texts` is not read): the state keeps them in
    /// its own string table and lends them, so each is copied once, into the table.
    pub(crate) fn import_parts(
        snap: &DecisionsSnapshot,
        texts: &[&str],
        shared: Option<&[Text]>,
        catalog_version: u64,
        word_id: &dyn Fn(&str) -> Option<u32>,
    ) -> Result<Option<(Table, Vec<u64>)>, ConfigError> {
        if snap.build_id != crate::engine::BUILD_ID || snap.catalog_version != catalog_version {
            return Ok(None);
        }
        let r = Reader { texts };
        let mut t = Table::default();
        t.texts.reserve(texts.len());
        t.text_ix.reserve(texts.len());
        // Texts are interned as given; a repeated text would make two handles of one key.
        for (i, s) in texts.iter().enumerate() {
            // The caller's own text of it when it lends one (one allocation for the document
            // and the verdict), else a copy.
            let text = match shared.and_then(|v| v.get(i)) {
                Some(t) => {
                    debug_assert_eq!(&**t, *s, "the lent text is the snapshot's");
                    t.clone()
                }
                None => Text::from(*s),
            };
            if t.text_ix.insert(text.clone(), i as u32).is_some() {
                return Err(invalid(format!("texts/{i}"), "the text is listed twice"));
            }
            t.texts.push(text);
        }
        let mut vocab = FastMap::default();
        for (i, &(w, n)) in snap.vocabulary.iter().enumerate() {
            let at = || format!("vocabulary/{i}");
            let wid =
                word_id(r.text(w, &at)?).ok_or_else(|| invalid(at(), "not a catalog word"))?;
            vocab.insert(wid, n);
        }
        t.vocab = vocab;
        t.vocab_pending = true;
        let rejections: Vec<Arc<Rejected>> = snap
            .rejections
            .iter()
            .enumerate()
            .map(|(i, x)| r.rejected(x, &|| format!("rejections/{i}")).map(Arc::new))
            .collect::<Result<_, _>>()?;
        let matches: Vec<Arc<Match>> = snap
            .matches
            .iter()
            .enumerate()
            .map(|(i, x)| r.matched(x, &|| format!("matches/{i}")).map(Arc::new))
            .collect::<Result<_, _>>()?;
        let elided: Vec<bool> = snap
            .matches
            .iter()
            .map(|m| m.evidence.iter().any(|e| e.text.is_none()))
            .collect();
        // A match whose evidence texts are the line's, completed for one line: lines of one
        // match with the same spans (the vendor's name, the same product word) share it.
        let mut completed: FastMap<(u32, Vec<&str>), Arc<Match>> = FastMap::default();
        t.vendors.reserve(snap.vendors.len());
        t.vendor_ix.reserve(snap.vendors.len());
        for (i, v) in snap.vendors.iter().enumerate() {
            let at = || format!("vendors/{i}");
            let key = [
                r.handle(v.name, &at)?,
                r.opt_handle(v.website, &at)?,
                r.opt_handle(v.email, &at)?,
            ];
            let rejected = match v.rejected {
                Some(x) => Some(
                    rejections
                        .get(x as usize)
                        .map(|r| Rejected::clone(r))
                        .ok_or_else(|| invalid(at(), "rejection out of range"))?,
                ),
                None => None,
            };
            if t.vendor_ix.insert(key, i as u32).is_some() {
                return Err(invalid(at(), "the vendor is listed twice"));
            }
            t.vendors.push(VendorRow {
                key,
                facts: Some(VendorFacts {
                    known: v.known,
                    rejected,
                }),
            });
        }
        t.lines.reserve(snap.lines.len());
        for (i, l) in snap.lines.iter().enumerate() {
            let at = || format!("lines/{i}");
            if l.vendor as usize >= t.vendors.len() {
                return Err(invalid(at(), "vendor out of range"));
            }
            if l.class > 2 {
                return Err(invalid(at(), "unknown line class"));
            }
            if let Some(rule) = l.rule {
                if rule as usize >= snap.rules.len() {
                    return Err(invalid(at(), "rule out of range"));
                }
            }
            let key = LineKey {
                vendor: l.vendor,
                description: r.handle(l.description, &at)?,
                description2: r.opt_handle(l.description2, &at)?,
                account: r.opt_handle(l.account, &at)?,
                class: l.class,
            };
            let matched = match l.matched {
                Some(m) => {
                    let shared = matches
                        .get(m as usize)
                        .ok_or_else(|| invalid(at(), "match out of range"))?;
                    if elided[m as usize] {
                        let v = &t.vendors[l.vendor as usize].key;
                        let text = |h: u32| r.opt_text_ref(h);
                        let fields = [
                            text(v[0]),
                            text(v[1]),
                            text(v[2]),
                            text(key.description),
                            text(key.description2),
                            text(key.account),
                        ];
                        let snap_m = &snap.matches[m as usize];
                        let spans = key_spans(shared, snap_m, &fields, &at)?;
                        let m = completed
                            .entry((m, spans))
                            .or_insert_with_key(|(_, spans)| {
                                Arc::new(with_key_texts(shared, snap_m, spans))
                            });
                        Some(m.clone())
                    } else {
                        Some(shared.clone())
                    }
                }
                None => None,
            };
            let rejected = match l.rejected {
                Some(x) => Some(
                    rejections
                        .get(x as usize)
                        .cloned()
                        .ok_or_else(|| invalid(at(), "rejection out of range"))?,
                ),
                None => None,
            };
            let words = l
                .words
                .iter()
                .map(|&w| {
                    word_id(r.text(w, &at)?).ok_or_else(|| invalid(at(), "not a catalog word"))
                })
                .collect::<Result<Vec<u32>, _>>()?;
            let entry = Entry {
                decision: Kept {
                    matched,
                    ignored_by_rule: match l.ignored_by_rule {
                        Some(x) => Some(r.text(x, &at)?.into()),
                        None => None,
                    },
                    rejected,
                },
                role: role_of(l.role).ok_or_else(|| invalid(at(), "unknown line role"))?,
                rule: l.rule,
                words: words.into(),
                used: false,
            };
            if t.lines.insert(key, entry).is_some() {
                return Err(invalid(at(), "the line key is listed twice"));
            }
        }
        Ok(Some((t, snap.rules.clone())))
    }
}

fn invalid(path: String, what: &str) -> ConfigError {
    ConfigError::new(
        ErrorCode::StateInvalid,
        format!("the kept match decisions are not valid: {what}"),
    )
    .at(format!("decisions/{path}"))
}

/// The decisions of a matcher as data, kept with the state between runs
/// ([`crate::engine::Engine::export_decisions`], [`crate::engine::Engine::restore_decisions`]).
/// Every text is in `texts` once; everything else refers to it by index.
#[derive(Debug, Clone, PartialEq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionsSnapshot {
    /// The build of the core that decided (`BUILD_ID`): another build's decisions are not reused.
    pub build_id: String,
    /// The catalog decided with: another catalog's decisions are not reused.
    pub catalog_version: u64,
    /// The rules decided with: each rule's canonical hash, in rule-set order.
    pub rules: Vec<u64>,
    /// The generic words decided with: (word text, vendor count).
    pub vocabulary: Vec<(u32, u32)>,
    pub texts: Vec<String>,
    pub vendors: Vec<SnapVendor>,
    pub matches: Vec<SnapMatch>,
    pub rejections: Vec<SnapRejected>,
    pub lines: Vec<SnapLine>,
}

#[derive(Debug, Clone, PartialEq, Hash, Serialize, Deserialize)]
pub struct SnapVendor {
    pub name: u32,
    pub website: Option<u32>,
    pub email: Option<u32>,
    pub known: bool,
    pub rejected: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Hash, Serialize, Deserialize)]
pub struct SnapLine {
    pub vendor: u32,
    pub description: u32,
    pub description2: Option<u32>,
    pub account: Option<u32>,
    /// 0 any line, 1 a comment, 2 a charge.
    pub class: u8,
    pub role: u8,
    pub matched: Option<u32>,
    pub ignored_by_rule: Option<u32>,
    pub rejected: Option<u32>,
    /// The rule that decided (index into `rules`).
    pub rule: Option<u32>,
    /// The words whose genericness was consulted (texts).
    pub words: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapMatch {
    pub app_id: u32,
    pub app_name: u32,
    pub category: u32,
    pub decided_by: u8,
    pub rule_id: Option<u32>,
    pub evidence: Vec<SnapEvidence>,
    /// Hundredths when exact, else the float's bits.
    pub confidence: u64,
    pub runner_up: Option<SnapCandidate>,
    /// id, name, kind.
    pub via: Option<[u32; 3]>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapEvidence {
    pub field: u8,
    /// `None`: the span `start..end` of the line key's text of `field` (what the matcher read).
    pub text: Option<u32>,
    pub start: u32,
    pub end: u32,
    pub kind: u8,
    pub alias: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapCandidate {
    pub app_id: u32,
    pub app_name: u32,
    /// Hundredths when exact, else the float's bits.
    pub confidence: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapRejected {
    pub app_id: Option<u32>,
    pub app_name: Option<u32>,
    /// Hundredths when exact, else the float's bits.
    pub confidence: u64,
    pub reason: u32,
    pub candidates: Vec<SnapCandidate>,
    pub not_software: Option<u32>,
}

const FIELDS: [&str; 6] = [
    "vendor",
    "website",
    "email",
    "description",
    "description2",
    "account",
];
const KINDS: [&str; 6] = [
    "vendorEntity",
    "name",
    "keyword",
    "product",
    "domain",
    "rule",
];
const DECIDED_BY: [DecidedBy; 6] = [
    DecidedBy::Rule,
    DecidedBy::VendorName,
    DecidedBy::VendorDomain,
    DecidedBy::Description,
    DecidedBy::VendorDefault,
    DecidedBy::Lines,
];
const ROLES: [LineRole; 5] = [
    LineRole::Product,
    LineRole::Freight,
    LineRole::Tax,
    LineRole::Comment,
    LineRole::Other,
];

fn role_code(r: LineRole) -> u8 {
    ROLES.iter().position(|&x| x == r).unwrap_or(0) as u8
}

fn role_of(c: u8) -> Option<LineRole> {
    ROLES.get(c as usize).copied()
}

/// Interns texts and de-duplicates matches and rejections while exporting. The texts are
/// borrowed from the table being exported.
#[derive(Default)]
struct SnapshotWriter<'a> {
    texts: Vec<&'a str>,
    text_ix: FastMap<&'a str, u32>,
    matches: Vec<SnapMatch>,
    match_ix: FastMap<SnapMatch, u32>,
    rejections: Vec<SnapRejected>,
    rejection_ix: FastMap<SnapRejected, u32>,
}

impl<'a> SnapshotWriter<'a> {
    fn text(&mut self, s: &'a str) -> u32 {
        crate::fastmap::number(&mut self.texts, &mut self.text_ix, s)
    }

    fn opt_text(&mut self, s: Option<&'a str>) -> Option<u32> {
        s.map(|s| self.text(s))
    }

    fn candidate(&mut self, c: &'a Candidate) -> SnapCandidate {
        SnapCandidate {
            app_id: self.text(&c.app_id),
            app_name: self.text(&c.app_name),
            confidence: confidence_code(c.confidence),
        }
    }

    fn matched(&mut self, m: &'a Match, fields: &[Option<&'a str>; 6]) -> u32 {
        let evidence = m
            .evidence
            .iter()
            .map(|e| {
                let field = FIELDS.iter().position(|f| *f == e.field).unwrap_or(0);
                SnapEvidence {
                    field: field as u8,
                    // The span of the key's own text (nearly always): not stored, so the matches of
                    // lines that differ only in their texts are stored once.
                    text: match fields[field].and_then(|t| utf16_span(t, e.start, e.end)) {
                        Some(span) if span == e.text => None,
                        _ => Some(self.text(&e.text)),
                    },
                    start: e.start as u32,
                    end: e.end as u32,
                    kind: KINDS.iter().position(|k| *k == e.kind).unwrap_or(0) as u8,
                    alias: self.opt_text(e.alias.as_deref()),
                }
            })
            .collect();
        let s = SnapMatch {
            app_id: self.text(&m.app_id),
            app_name: self.text(&m.app_name),
            category: self.text(&m.category),
            decided_by: DECIDED_BY
                .iter()
                .position(|d| *d == m.decided_by)
                .unwrap_or(0) as u8,
            rule_id: self.opt_text(m.rule_id.as_deref()),
            evidence,
            confidence: confidence_code(m.confidence),
            runner_up: m.runner_up.as_ref().map(|c| self.candidate(c)),
            via: m
                .via
                .as_ref()
                .map(|v| [self.text(&v.id), self.text(&v.name), self.text(&v.kind)]),
        };
        // By content: every field is an integer, so equal records are equal snapshots' records.
        crate::fastmap::number(&mut self.matches, &mut self.match_ix, s)
    }

    fn rejected(&mut self, r: &'a Rejected) -> u32 {
        let s = SnapRejected {
            app_id: self.opt_text(r.app_id.as_deref()),
            app_name: self.opt_text(r.app_name.as_deref()),
            confidence: confidence_code(r.confidence),
            reason: self.text(&r.reason),
            candidates: r.candidates.iter().map(|c| self.candidate(c)).collect(),
            not_software: self.opt_text(r.not_software.as_deref()),
        };
        crate::fastmap::number(&mut self.rejections, &mut self.rejection_ix, s)
    }
}

/// Reads a snapshot's records back, checking every handle.
struct Reader<'a> {
    texts: &'a [&'a str],
}

type At<'x> = &'x dyn Fn() -> String;

impl<'a> Reader<'a> {
    fn text(&self, i: u32, at: At) -> Result<&'a str, ConfigError> {
        self.texts
            .get(i as usize)
            .copied()
            .ok_or_else(|| invalid(at(), "text out of range"))
    }

    /// The text of a handle already checked (`NONE`: no text).
    fn opt_text_ref(&self, h: u32) -> Option<&'a str> {
        self.texts.get(h as usize).copied()
    }

    fn handle(&self, i: u32, at: At) -> Result<u32, ConfigError> {
        self.text(i, at).map(|_| i)
    }

    fn opt_handle(&self, i: Option<u32>, at: At) -> Result<u32, ConfigError> {
        match i {
            None => Ok(NONE),
            Some(i) => self.handle(i, at),
        }
    }

    fn opt_text(&self, i: Option<u32>, at: At) -> Result<Option<String>, ConfigError> {
        i.map(|i| self.text(i, at).map(str::to_owned)).transpose()
    }

    fn confidence(&self, c: u64, at: At) -> Result<f64, ConfigError> {
        confidence_of(c).ok_or_else(|| invalid(at(), "confidence is not a number"))
    }

    fn candidate(&self, c: &SnapCandidate, at: At) -> Result<Candidate, ConfigError> {
        Ok(Candidate {
            app_id: self.text(c.app_id, at)?.to_owned(),
            app_name: self.text(c.app_name, at)?.to_owned(),
            confidence: self.confidence(c.confidence, at)?,
        })
    }

    fn rejected(&self, r: &SnapRejected, at: At) -> Result<Rejected, ConfigError> {
        Ok(Rejected {
            app_id: self.opt_text(r.app_id, at)?,
            app_name: self.opt_text(r.app_name, at)?,
            confidence: self.confidence(r.confidence, at)?,
            reason: self.text(r.reason, at)?.to_owned(),
            candidates: r
                .candidates
                .iter()
                .map(|c| self.candidate(c, at))
                .collect::<Result<_, _>>()?,
            not_software: self.opt_text(r.not_software, at)?,
        })
    }

    fn matched(&self, m: &SnapMatch, at: At) -> Result<Match, ConfigError> {
        let evidence = m
            .evidence
            .iter()
            .map(|e| {
                Ok(Evidence {
                    field: FIELDS
                        .get(e.field as usize)
                        .copied()
                        .ok_or_else(|| invalid(at(), "unknown evidence field"))?,
                    // An elided text is the line's: filled in per line ([`with_key_texts`]).
                    text: match e.text {
                        Some(t) => self.text(t, at)?.to_owned(),
                        None => String::new(),
                    },
                    start: e.start as usize,
                    end: e.end as usize,
                    kind: KINDS
                        .get(e.kind as usize)
                        .copied()
                        .ok_or_else(|| invalid(at(), "unknown evidence kind"))?,
                    alias: self.opt_text(e.alias, at)?,
                })
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(Match {
            app_id: self.text(m.app_id, at)?.to_owned(),
            app_name: self.text(m.app_name, at)?.to_owned(),
            category: self.text(m.category, at)?.to_owned(),
            decided_by: DECIDED_BY
                .get(m.decided_by as usize)
                .copied()
                .ok_or_else(|| invalid(at(), "unknown decidedBy"))?,
            rule_id: self.opt_text(m.rule_id, at)?,
            evidence,
            confidence: self.confidence(m.confidence, at)?,
            runner_up: m
                .runner_up
                .as_ref()
                .map(|c| self.candidate(c, at))
                .transpose()?,
            via: match m.via {
                Some([id, name, kind]) => Some(Via {
                    id: self.text(id, at)?.to_owned(),
                    name: self.text(name, at)?.to_owned(),
                    kind: self.text(kind, at)?.to_owned(),
                }),
                None => None,
            },
        })
    }
}

/// The texts of the evidence spans `snap` elides, read from the line key's texts (`fields`,
/// in `FIELDS` order), in evidence order: a span that is not one of the text is
/// `STATE_INVALID`.
fn key_spans<'a>(
    m: &Match,
    snap: &SnapMatch,
    fields: &[Option<&'a str>; 6],
    at: At,
) -> Result<Vec<&'a str>, ConfigError> {
    let mut spans = Vec::new();
    for (e, s) in m.evidence.iter().zip(&snap.evidence) {
        if s.text.is_none() {
            let field = fields.get(s.field as usize).copied().flatten();
            spans.push(
                field
                    .and_then(|t| utf16_span(t, e.start, e.end))
                    .ok_or_else(|| invalid(at(), "evidence span outside the line's text"))?,
            );
        }
    }
    Ok(spans)
}

/// `m` with the evidence texts its snapshot elides filled in from `spans` ([`key_spans`]).
fn with_key_texts(m: &Match, snap: &SnapMatch, spans: &[&str]) -> Match {
    let mut m = m.clone();
    let mut spans = spans.iter();
    for (e, s) in m.evidence.iter_mut().zip(&snap.evidence) {
        if s.text.is_none() {
            if let Some(t) = spans.next() {
                e.text = (*t).to_owned();
            }
        }
    }
    m
}

/// The text between two UTF-16 offsets (how evidence spans count, for JavaScript), when both
/// fall on character boundaries of `s` in order.
fn utf16_span(s: &str, start: usize, end: usize) -> Option<&str> {
    let (mut from, mut to) = (None, None);
    let mut units = 0;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), '\0'))) {
        if units == start {
            from = Some(i);
        }
        if units == end {
            to = Some(i);
            break;
        }
        units += c.len_utf16();
    }
    let (a, b) = (from?, to?);
    (a <= b).then(|| &s[a..b])
}

/// A confidence as kept: hundredths when it is exactly that many (most are), else the
/// float's bits (a positive float's bits are far above 100), so every encoding of the snapshot,
/// text or binary, gives back the same float.
fn confidence_code(x: f64) -> u64 {
    let k = (x * 100.0).round();
    if (0.0..=100.0).contains(&k) && k / 100.0 == x {
        k as u64
    } else {
        x.to_bits()
    }
}

fn confidence_of(c: u64) -> Option<f64> {
    let x = if c <= 100 {
        c as f64 / 100.0
    } else {
        f64::from_bits(c)
    };
    x.is_finite().then_some(x)
}

fn add(sum: &mut (u64, u64), x: (u64, u64)) {
    sum.0 = sum.0.wrapping_add(x.0);
    sum.1 = sum.1.wrapping_add(x.1);
}

/// Every field of a match ([`Table::digest`], [`Shared`]); a confidence by its bits.
fn hash_match(m: &Match, h: &mut impl std::hash::Hasher) {
    let Match {
        app_id,
        app_name,
        category,
        decided_by,
        rule_id,
        evidence,
        confidence,
        runner_up,
        via,
    } = m;
    (app_id, app_name, category).hash(h);
    (*decided_by as u8).hash(h);
    rule_id.hash(h);
    evidence.len().hash(h);
    for e in evidence {
        let Evidence {
            field,
            text,
            start,
            end,
            kind,
            alias,
        } = e;
        (field, text, start, end, kind, alias).hash(h);
    }
    confidence.to_bits().hash(h);
    hash_candidate(runner_up.as_ref(), h);
    match via {
        Some(Via { id, name, kind }) => (1u8, id, name, kind).hash(h),
        None => 0u8.hash(h),
    }
}

fn hash_candidate(c: Option<&Candidate>, h: &mut impl std::hash::Hasher) {
    match c {
        Some(Candidate {
            app_id,
            app_name,
            confidence,
        }) => (1u8, app_id, app_name, confidence.to_bits()).hash(h),
        None => 0u8.hash(h),
    }
}

fn hash_rejected(r: Option<&Rejected>, h: &mut impl std::hash::Hasher) {
    let Some(Rejected {
        app_id,
        app_name,
        confidence,
        reason,
        candidates,
        not_software,
    }) = r
    else {
        return 0u8.hash(h);
    };
    (1u8, app_id, app_name, confidence.to_bits(), reason).hash(h);
    candidates.len().hash(h);
    for c in candidates {
        hash_candidate(Some(c), h);
    }
    not_software.hash(h);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_does_not_depend_on_the_order_the_vocabulary_was_built_in() {
        // The same words, inserted in two orders into maps of two capacities (as a table built
        // word by word and one restored from a snapshot): their iteration orders differ.
        let mut a = Table::default();
        for w in 0..300u32 {
            a.vocab.insert(w, w % 7 + 1);
        }
        let mut b = Table {
            vocab: FastMap::with_capacity_and_hasher(4096, Default::default()),
            ..Default::default()
        };
        for w in (0..300u32).rev() {
            b.vocab.insert(w, w % 7 + 1);
        }
        assert!(
            a.vocab.keys().ne(b.vocab.keys()),
            "the case has two iteration orders"
        );
        let words: Vec<String> = (0..300).map(|w| format!("word{w}")).collect();
        let word = |w: u32| words[w as usize].as_str();
        let (x, y) = (a.export(1, &[], &word), b.export(1, &[], &word));
        assert_eq!(x.texts, y.texts);
        assert_eq!(x.vocabulary, y.vocabulary);
    }
}

#[cfg(test)]
mod shared_tests {
    use super::*;

    fn matched(app: usize) -> Decision {
        Decision {
            matched: Some(Arc::new(Match {
                app_id: format!("app-{app}"),
                app_name: format!("App {app}"),
                category: "other".into(),
                decided_by: DecidedBy::Description,
                rule_id: None,
                evidence: vec![],
                confidence: 0.9,
                runner_up: None,
                via: None,
            })),
            ignored_by_rule: None,
            rejected: None,
        }
    }

    #[test]
    fn what_only_the_sharing_map_holds_is_dropped_once_it_has_doubled() {
        let mut t = Table::default();
        let vendor = VendorInfo::named("Acme");
        let v = t.intern_vendor(
            &vendor,
            &VendorFacts {
                known: false,
                rejected: None,
            },
        );
        let texts: Vec<String> = (0..3 * SHARED_FLOOR).map(|i| format!("line {i}")).collect();
        // Equal verdicts: one match for all.
        let first = t.insert(
            v,
            &LineInfo::item(&texts[0], 1),
            matched(0),
            LineRole::Product,
            Deps::default(),
        );
        for text in &texts[1..SHARED_FLOOR] {
            let d = t.insert(
                v,
                &LineInfo::item(text, 1),
                matched(0),
                LineRole::Product,
                Deps::default(),
            );
            assert!(Arc::ptr_eq(
                first.matched.as_ref().unwrap(),
                d.matched.as_ref().unwrap()
            ));
        }
        assert_eq!(t.shared.matches.len(), 1);
        // Distinct verdicts, then forgotten by the table: the map alone holds them, and drops
        // them once it has doubled, keeping the one the table still holds.
        for (i, text) in texts[SHARED_FLOOR..2 * SHARED_FLOOR].iter().enumerate() {
            t.insert(
                v,
                &LineInfo::item(text, 1),
                matched(i + 1),
                LineRole::Product,
                Deps::default(),
            );
        }
        t.prune();
        t.lines
            .retain(|k, _| k.description == t.text_ix[texts[0].as_str()]);
        for (i, text) in texts[2 * SHARED_FLOOR..].iter().enumerate() {
            t.insert(
                v,
                &LineInfo::item(text, 1),
                matched(SHARED_FLOOR + i + 1),
                LineRole::Product,
                Deps::default(),
            );
        }
        assert!(
            t.shared.matches.len() <= 2 * SHARED_FLOOR,
            "{} shared matches held",
            t.shared.matches.len()
        );
        let kept = t.get(v, &LineInfo::item(&texts[0], 1)).unwrap();
        assert!(Arc::ptr_eq(
            first.matched.as_ref().unwrap(),
            kept.decision.matched.as_ref().unwrap()
        ));
        assert!(t
            .shared
            .matches
            .values()
            .any(|m| Arc::ptr_eq(m, first.matched.as_ref().unwrap())));
    }
}
