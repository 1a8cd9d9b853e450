//! The catalog compiled for matching: one multi-pattern automaton over every alias, a domain
//! table, token statistics, and a typo index. Built once per [`Matcher`](super::Matcher); the
//! cost of analysing a text depends on the text, not on the size of the catalog.

use super::lexicon::{common_words, lexicon, Filler};
use super::normalize::{normalize_host, tokenize, vendor_key, Lexicon, Token, TokenKind};
use crate::catalog::Catalog;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use super::normalize::{FastMap as HashMap, FastSet as HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnerKind {
    App,
    Group,
    Reseller,
}

/// An entry of the catalog that text can point at.
pub(crate) struct Owner {
    pub kind: OwnerKind,
    /// Index into the catalog's apps / vendorGroups / resellers.
    pub idx: usize,
    /// Owners of one family (a vendor group and its apps) share this number.
    pub family: u32,
    pub name: String,
    /// Every token of every alias of the owner's family: words that explain themselves next to
    /// the owner's name ("communications" in "Zoom Communications").
    pub vocab: HashSet<String>,
    pub marketplace: bool,
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

pub(crate) struct Alias {
    pub owner: u32,
    pub kind: AliasKind,
    pub text: String,
    /// A name without its vendor group's name ("Teams" for "Microsoft Teams"): evidence only on
    /// lines of that vendor.
    pub group_only: bool,
    /// Identifies the owner on its own: a domain, a distinctive token, or a phrase of several
    /// words that includes the brand. Weak aliases (one common word) need corroboration.
    pub strong: bool,
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
    /// " tok tok tok ": the tokens as the automata see them, and where each token starts.
    pub text: String,
    pub starts: Vec<usize>,
}

struct TokStat {
    families: u32,
    last_family: u32,
}

pub(crate) struct Index {
    pub owners: Vec<Owner>,
    pub aliases: Vec<Alias>,
    ac: Option<AhoCorasick>,
    pattern_aliases: Vec<Vec<u32>>,
    domains: HashMap<String, u32>,
    tok_stats: HashMap<String, TokStat>,
    /// Candidate typo targets: delete-one variants -> tokens.
    fuzzy: HashMap<String, Vec<u32>>,
    fuzzy_targets: Vec<String>,
    /// Tokens that may be formed by joining words ("hubspot" from "Hub Spot").
    joinable: HashSet<String>,
    pub app_owner: Vec<u32>,
}

impl Index {
    pub fn build(catalog: &Catalog) -> Index {
        let lx = lexicon();
        let mut owners = Vec::new();
        let mut raw_aliases: Vec<(u32, AliasKind, Vec<String>)> = Vec::new();
        let mut domains = HashMap::default();
        let mut family_of_group: HashMap<&str, u32> = HashMap::default();
        let mut next_family = 0u32;

        for (i, g) in catalog.vendor_groups().iter().enumerate() {
            let fam = next_family;
            next_family += 1;
            family_of_group.insert(g.id.as_str(), fam);
            let o = owners.len() as u32;
            owners.push(Owner { kind: OwnerKind::Group, idx: i, family: fam, name: g.name.clone(), vocab: HashSet::default(), marketplace: false });
            for v in &g.vendors {
                raw_aliases.push((o, AliasKind::VendorEntity, key_tokens(&vendor_key(lx, v))));
            }
            raw_aliases.push((o, AliasKind::Name, text_tokens(&g.name)));
            for k in &g.keywords {
                raw_aliases.push((o, AliasKind::Keyword, text_tokens(k)));
            }
            for d in &g.domains {
                if let Some(d) = normalize_host(d) {
                    domains.insert(d, o);
                }
            }
        }
        // Apps listed by a group belong to its family even without `parent`.
        let mut listed_parent: HashMap<&str, &str> = HashMap::default();
        for g in catalog.vendor_groups() {
            for a in &g.apps {
                listed_parent.insert(a.as_str(), g.id.as_str());
            }
        }
        let mut app_owner = Vec::new();
        for (i, a) in catalog.apps().iter().enumerate() {
            let parent = a.parent.as_deref().or_else(|| listed_parent.get(a.id.as_str()).copied());
            let fam = match parent.and_then(|p| family_of_group.get(p)) {
                Some(&f) => f,
                None => {
                    next_family += 1;
                    next_family - 1
                }
            };
            let o = owners.len() as u32;
            app_owner.push(o);
            owners.push(Owner { kind: OwnerKind::App, idx: i, family: fam, name: a.name.clone(), vocab: HashSet::default(), marketplace: false });
            for v in &a.vendors {
                raw_aliases.push((o, AliasKind::VendorEntity, key_tokens(&vendor_key(lx, v))));
            }
            raw_aliases.push((o, AliasKind::Name, text_tokens(&a.name)));
            for k in &a.keywords {
                raw_aliases.push((o, AliasKind::Keyword, text_tokens(k)));
            }
            for p in &a.products {
                raw_aliases.push((o, AliasKind::Product, text_tokens(p)));
            }
            for d in &a.domains {
                if let Some(d) = normalize_host(d) {
                    domains.insert(d, o);
                }
            }
        }
        for (i, r) in catalog.resellers().iter().enumerate() {
            let fam = next_family;
            next_family += 1;
            let o = owners.len() as u32;
            owners.push(Owner { kind: OwnerKind::Reseller, idx: i, family: fam, name: r.name.clone(), vocab: HashSet::default(), marketplace: r.marketplace });
            for v in &r.vendors {
                raw_aliases.push((o, AliasKind::VendorEntity, key_tokens(&vendor_key(lx, v))));
            }
            if r.marketplace {
                raw_aliases.push((o, AliasKind::Name, text_tokens(&r.name)));
            } else {
                // A reseller's own name on a line ("CDW Managed Services") is its own service.
                raw_aliases.push((o, AliasKind::Name, key_tokens(&vendor_key(lx, &r.name))));
            }
            for k in &r.keywords {
                raw_aliases.push((o, AliasKind::Keyword, text_tokens(k)));
            }
            for d in &r.domains {
                if let Some(d) = normalize_host(d) {
                    domains.insert(d, o);
                }
            }
        }
        // Aliases made of generic words only ("Ultimate Software") would match any subscription
        // line; the catalog build warns about them and the matcher leaves them out.
        raw_aliases.retain(|(_, kind, t)| !t.is_empty() && (*kind == AliasKind::VendorEntity || !t.iter().all(|w| is_stopish(lx, w))));

        // Short names of group apps: the app's names without the group's name in front.
        let mut short: Vec<(u32, AliasKind, Vec<String>)> = Vec::new();
        {
            let group_names: HashMap<u32, Vec<Vec<String>>> = index_group_names(&owners, catalog);
            for (o, kind, toks) in &raw_aliases {
                let owner = &owners[*o as usize];
                if owner.kind != OwnerKind::App || *kind == AliasKind::VendorEntity {
                    continue;
                }
                if let Some(prefixes) = group_names.get(&owner.family) {
                    for p in prefixes {
                        if toks.len() > p.len() && toks[..p.len()] == p[..] && !lx.stop.contains(&toks[p.len()]) {
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
            family_vocab.entry(fam).or_default().extend(toks.iter().cloned());
        }
        for (d, o) in &domains {
            let fam = owners[*o as usize].family;
            if let Some(label) = d.split('.').next() {
                family_vocab.entry(fam).or_default().insert(label.to_string());
            }
        }
        let mut tok_stats: HashMap<String, TokStat> = HashMap::default();
        let mut fams: Vec<(&u32, &HashSet<String>)> = family_vocab.iter().collect();
        fams.sort_by_key(|(f, _)| **f);
        for (fam, vocab) in fams {
            for t in vocab {
                let s = tok_stats.entry(t.clone()).or_insert(TokStat { families: 0, last_family: u32::MAX });
                if s.last_family != *fam {
                    s.families += 1;
                    s.last_family = *fam;
                }
            }
        }
        for o in owners.iter_mut() {
            o.vocab = family_vocab.get(&o.family).cloned().unwrap_or_default();
        }

        let mut index = Index {
            owners,
            aliases: Vec::new(),
            ac: None,
            pattern_aliases: Vec::new(),
            domains,
            tok_stats,
            fuzzy: HashMap::default(),
            fuzzy_targets: Vec::new(),
            joinable: HashSet::default(),
            app_owner,
        };

        // Aliases and the automaton.
        let mut pattern_ids: HashMap<String, usize> = HashMap::default();
        let mut patterns: Vec<String> = Vec::new();
        let all = raw_aliases.into_iter().map(|a| (a, false)).chain(short.into_iter().map(|a| (a, true)));
        for ((o, kind, toks), group_only) in all {
            let strong = index.alias_is_strong(o, kind, &toks);
            let text = toks.join(" ");
            let aid = index.aliases.len() as u32;
            index.aliases.push(Alias { owner: o, kind, text: text.clone(), strong, group_only });
            let pat = format!(" {text} ");
            let pid = *pattern_ids.entry(pat.clone()).or_insert_with(|| {
                patterns.push(pat);
                index.pattern_aliases.push(Vec::new());
                patterns.len() - 1
            });
            index.pattern_aliases[pid].push(aid);
        }
        if !patterns.is_empty() {
            index.ac = AhoCorasickBuilder::new().match_kind(MatchKind::Standard).build(&patterns).ok();
        }

        // Typo targets: catalog tokens of at least 4 letters. A correction to a common word
        // ("Zooom" to "zoom") is only as strong as the alias it completes.
        let mut targets: Vec<String> = index
            .tok_stats
            .keys()
            .filter(|t| t.chars().count() >= 4 && !is_stopish(lx, t) && t.chars().any(|c| c.is_alphabetic()) && !t.contains('.'))
            .cloned()
            .collect();
        targets.sort();
        for (i, t) in targets.iter().enumerate() {
            for v in deletes1(t).into_iter().chain(std::iter::once(t.clone())) {
                index.fuzzy.entry(v).or_default().push(i as u32);
            }
            if t.chars().count() >= 5 {
                index.joinable.insert(t.clone());
            }
        }
        index.fuzzy_targets = targets;
        index
    }

    fn alias_is_strong(&self, o: u32, kind: AliasKind, toks: &[String]) -> bool {
        let lx = lexicon();
        if kind == AliasKind::Domain || toks.iter().any(|t| t.contains('.')) {
            return true;
        }
        if toks.iter().any(|t| self.distinctive(t)) {
            return true;
        }
        // A name of several words with at least one that is not subscription vocabulary ("Zoom
        // Video Communications", "Creative Cloud", "Zoom Pro") is specific.
        let _ = o;
        let words: Vec<&String> = toks.iter().filter(|t| t.chars().count() > 1).collect();
        words.len() >= 2 && words.iter().any(|t| !is_stopish(lx, t))
    }

    /// A token that points at one family and is not an ordinary word.
    pub fn distinctive(&self, t: &str) -> bool {
        let lx = lexicon();
        let n = t.chars().count();
        if n < 3 || is_stopish(lx, t) || common_words().contains(t) {
            return false;
        }
        // Numbers alone ("365") are never distinctive; "1password" and "m365" are.
        if !t.chars().any(|c| c.is_alphabetic()) {
            return false;
        }
        matches!(self.tok_stats.get(t), Some(s) if s.families == 1)
    }

    pub fn in_vocab(&self, t: &str) -> bool {
        self.tok_stats.contains_key(t)
    }

    /// Tokenizes and classifies `text`, repairs typos and split words, and finds every alias.
    /// `vendor` strips legal forms and geography the way vendor entities are keyed.
    pub fn analyse(&self, text: &str, vendor: bool) -> Analysis {
        let raw = tokenize(text);
        let mut toks = self.classify(raw, vendor);
        self.repair(&mut toks);
        let (text, starts) = joined(&toks);
        let hits = self.find_hits(&toks, &text, &starts);
        let _ = vendor;
        Analysis { toks, hits, text, starts }
    }

    fn classify(&self, raw: Vec<Token>, vendor: bool) -> Vec<Tok> {
        let lx = lexicon();
        let mut classes = vec![Class::Noise; raw.len()];
        {
            let norms: Vec<&str> = raw.iter().map(|t| t.norm.as_str()).collect();
            let legal_from = if vendor { norms.len() - lx.legal_suffix_len(&norms) } else { norms.len() };
            let mut i = 0;
            while i < legal_from {
                let geo = if vendor && i > 0 { lx.geo_len_at(&norms[..legal_from], i) } else { 0 };
                if geo > 0 {
                    i += geo;
                    continue;
                }
                classes[i] = self.class_of(lx, &raw[i]);
                i += 1;
            }
        }
        raw.into_iter()
            .zip(classes)
            .map(|(t, class)| Tok { norm: t.norm, start: t.start, end: t.end, kind: t.kind, class, corrected_from: None, merged: false })
            .collect()
    }

    fn class_of(&self, lx: &Lexicon, t: &Token) -> Class {
        match t.kind {
            TokenKind::Number => Class::Noise,
            TokenKind::Domain => Class::Content,
            TokenKind::Word => {
                let n = t.norm.as_str();
                if self.in_vocab(n) && self.distinctive(n) {
                    Class::Content
                } else if lx.stop.contains(n) || n.chars().count() == 1 || (!self.in_vocab(n) && looks_like_reference(n)) {
                    Class::Noise
                } else if lx.context.contains(n) {
                    Class::Context
                } else if Filler::contains(n) {
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
                if self.joinable.contains(cat.as_str()) && !toks[i..i + n].iter().all(|t| self.in_vocab(&t.norm)) {
                    let start = toks[i].start;
                    let end = toks[i + n - 1].end;
                    let norm = std::mem::take(&mut cat);
                    toks.splice(i..i + n, std::iter::once(Tok { norm, start, end, kind: TokenKind::Word, class: Class::Content, corrected_from: None, merged: true }));
                    break;
                }
            }
            i += 1;
        }
        let lx = lexicon();
        for t in toks.iter_mut() {
            let (word, is_domain): (&str, bool) = match t.kind {
                TokenKind::Word => (&t.norm, false),
                // An unknown domain may be a misspelt brand: "salesfroce.com".
                TokenKind::Domain if self.domain_owner(&t.norm).is_none() => match t.norm.split('.').next() {
                    Some(l) => (l, true),
                    None => continue,
                },
                _ => continue,
            };
            if t.merged || word.len() < 4 || self.in_vocab(word) || common_words().contains(word) || is_stopish(lx, word) {
                continue;
            }
            if word.chars().count() < 4 || !word.chars().all(|c| c.is_alphanumeric()) || !word.chars().any(|c| c.is_alphabetic()) {
                continue;
            }
            if let Some(target) = self.correct(word) {
                let word = word.to_string();
                if is_domain {
                    t.kind = TokenKind::Word;
                }
                t.corrected_from = Some(word);
                t.norm = target;
                t.class = Class::Content;
            }
        }
    }

    fn correct(&self, word: &str) -> Option<String> {
        let n = word.chars().count();
        let mut found: Vec<u32> = Vec::new();
        let chars: Vec<char> = word.chars().collect();
        let mut probe = String::with_capacity(word.len());
        for skip in 0..=chars.len() {
            // Each one-letter deletion of the word, then the word itself.
            probe.clear();
            probe.extend(chars.iter().enumerate().filter(|(j, _)| *j != skip).map(|(_, c)| *c));
            if let Some(cands) = self.fuzzy.get(probe.as_str()) {
                for &c in cands {
                    let target = &self.fuzzy_targets[c as usize];
                    let m = target.chars().count();
                    let d = damerau(word, target);
                    // Typists rarely get the first letter wrong; "Slackline" is not "BlackLine".
                    if word.chars().next() != target.chars().next() {
                        continue;
                    }
                    let ok = match n.min(m) {
                        0..=3 => false,
                        // Four letters: a swap of neighbours ("okat" for "okta") or one letter
                        // too many ("zooom").
                        4 => d == 1 && ((n == m && is_transposition(word, target)) || n == m + 1),
                        _ => d == 1,
                    };
                    if ok && !found.contains(&c) {
                        found.push(c);
                    }
                }
            }
        }
        // Unambiguous only: one candidate, or one of the same length ("figam" is "figma" rather
        // than "figjam").
        if found.len() > 1 {
            found.retain(|&c| self.fuzzy_targets[c as usize].chars().count() == n);
        }
        match found[..] {
            [c] => Some(self.fuzzy_targets[c as usize].clone()),
            _ => None,
        }
    }

    /// The owner of a domain or of its closest parent domain ("eu.zoom.us" -> "zoom.us").
    pub fn domain_owner(&self, domain: &str) -> Option<u32> {
        let mut d = domain;
        loop {
            if let Some(&o) = self.domains.get(d) {
                return Some(o);
            }
            match d.find('.') {
                Some(p) if d[p + 1..].contains('.') => d = &d[p + 1..],
                _ => return None,
            }
        }
    }

    fn find_hits(&self, toks: &[Tok], s: &str, starts: &[usize]) -> Vec<Hit> {
        let mut hits = Vec::new();
        // Domain tokens.
        for (i, t) in toks.iter().enumerate() {
            if t.kind == TokenKind::Domain {
                if let Some(o) = self.domain_owner(&t.norm) {
                    let aid = self.domain_alias(o, &t.norm);
                    hits.push(Hit { alias: aid, owner: o, first: i, last: i, corrected: false, merged: false, suppressed: false });
                }
            }
        }
        let Some(ac) = &self.ac else { return hits };
        for m in ac.find_overlapping_iter(s) {
            let first = match starts.binary_search(&(m.start() + 1)) {
                Ok(i) => i,
                Err(_) => continue,
            };
            let last = match starts.binary_search(&(m.end())) {
                Ok(i) => i - 1,
                Err(i) => i - 1,
            };
            let corrected = toks[first..=last].iter().any(|t| t.corrected_from.is_some());
            let merged = toks[first..=last].iter().any(|t| t.merged);
            for &aid in &self.pattern_aliases[m.pattern().as_usize()] {
                let a = &self.aliases[aid as usize];
                hits.push(Hit { alias: aid, owner: a.owner, first, last, corrected, merged, suppressed: false });
            }
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
                let b_group_only = b.alias != u32::MAX && self.aliases[b.alias as usize].group_only;
                let contains = !b_group_only && b.first <= a.first && a.last <= b.last && (b.last - b.first) > (a.last - a.first);
                if contains {
                    hits[i].suppressed = true;
                }
            }
        }
        hits
    }

    fn domain_alias(&self, o: u32, domain: &str) -> u32 {
        // Domains are not in the automaton; give each domain hit a synthetic alias id past the
        // end, resolved by `alias_info`.
        let _ = (o, domain);
        u32::MAX
    }

    /// (kind, strong) of a hit's alias.
    pub fn alias_info(&self, h: &Hit) -> (AliasKind, bool) {
        if h.alias == u32::MAX {
            return (AliasKind::Domain, true);
        }
        let a = &self.aliases[h.alias as usize];
        let mut strong = a.strong;
        if h.merged {
            strong = false;
        } else if h.corrected {
            // A corrected token stands for a brand only as much as the brand is distinctive.
            strong = (strong && a.text.split(' ').count() > 1) || a.text.split(' ').any(|t| self.distinctive(t));
        }
        (a.kind, strong)
    }
}

/// Family -> the normalized names of its vendor group ("google", "microsoft").
fn index_group_names(owners: &[Owner], catalog: &Catalog) -> HashMap<u32, Vec<Vec<String>>> {
    let mut out: HashMap<u32, Vec<Vec<String>>> = HashMap::default();
    for o in owners.iter().filter(|o| o.kind == OwnerKind::Group) {
        let g = &catalog.vendor_groups()[o.idx];
        let names = out.entry(o.family).or_default();
        for n in std::iter::once(&g.name).chain(g.keywords.iter()) {
            let t = text_tokens(n);
            // "Salesforce, Inc." names the group "salesforce".
            let lx = lexicon();
            let refs: Vec<&str> = t.iter().map(String::as_str).collect();
            let keep = refs.len() - lx.legal_suffix_len(&refs);
            if keep > 0 {
                names.push(t[..keep].to_vec());
            }
        }
    }
    out
}

/// " tok tok tok " and the offset of each token in it.
fn joined(toks: &[Tok]) -> (String, Vec<usize>) {
    let mut s = String::with_capacity(toks.iter().map(|t| t.norm.len() + 1).sum::<usize>() + 1);
    let mut starts = Vec::with_capacity(toks.len());
    s.push(' ');
    for t in toks {
        starts.push(s.len());
        s.push_str(&t.norm);
        s.push(' ');
    }
    (s, starts)
}

fn key_tokens(key: &str) -> Vec<String> {
    key.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn text_tokens(s: &str) -> Vec<String> {
    tokenize(s).into_iter().map(|t| t.norm).collect()
}

pub(crate) fn is_stopish(lx: &Lexicon, t: &str) -> bool {
    lx.stop.contains(t) || lx.context.contains(t)
}

/// Reference-like tokens: letters mixed with many digits ("g052611349", "org-7hk2").
/// (Only asked of tokens that are not catalog words: "m365" and "1password" never get here.)
fn looks_like_reference(t: &str) -> bool {
    t.chars().any(|c| c.is_numeric())
}

fn deletes1(w: &str) -> Vec<String> {
    let chars: Vec<char> = w.chars().collect();
    (0..chars.len())
        .map(|i| chars.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| *c).collect())
        .collect()
}

fn is_transposition(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    diff.len() == 2 && diff[1] == diff[0] + 1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]
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
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[n][m]
}
