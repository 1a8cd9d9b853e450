//! Text normalization: invoice text and catalog aliases become the same token sequences.
//!
//! Both sides of every comparison go through [`tokenize`], so "Slack Technologies, Ltd." on an
//! invoice and "Slack Technologies Limited" in the catalog meet as `slack technologies` once
//! [`strip_legal_suffix`] has run. Tokens keep the byte span of the original text they came from,
//! which is how evidence points back into the text the user typed.
//!
//! This file uses only `std` (and `crate::fastmap`, which `build.rs` includes beside it) because
//! `build.rs` includes it to validate the catalog with the exact normalization the matcher uses
//! at run time.

use crate::fastmap::FastSet;

type HashSet<T> = FastSet<T>;

/// What a token is; the matcher treats numbers and domains differently from words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters, possibly with digits ("slack", "1password", "m365").
    Word,
    /// Digits only, or a reference/date/amount shape ("2024", "INV-0042", "12.50").
    Number,
    /// A web or e-mail domain, lower-cased, without scheme, `www.` or path ("slack.com").
    Domain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Lower-cased, diacritics folded ("Müller" becomes "muller", "Straße" becomes "strasse").
    pub norm: String,
    /// Byte span in the original text.
    pub start: usize,
    pub end: usize,
    pub kind: TokenKind,
}

/// Appends the lower-case, diacritic-free form of `c` to `out`. Letters outside the Latin
/// alphabets are lower-cased and kept, so brand names in other scripts still match themselves.
#[inline]
pub fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    let folded: &str = match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ă' | 'ă' | 'Ą' | 'ą' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Ĉ' | 'ĉ' | 'Ċ' | 'ċ' | 'Č' | 'č' => "c",
        'Ð' | 'ð' | 'Ď' | 'ď' | 'Đ' | 'đ' => "d",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ĕ' | 'ĕ' | 'Ė' | 'ė' | 'Ę' | 'ę' | 'Ě' | 'ě' => {
            "e"
        }
        'Ĝ' | 'ĝ' | 'Ğ' | 'ğ' | 'Ġ' | 'ġ' | 'Ģ' | 'ģ' => "g",
        'Ĥ' | 'ĥ' | 'Ħ' | 'ħ' => "h",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ĩ' | 'ĩ' | 'Ī' | 'ī' | 'Ĭ' | 'ĭ' | 'Į' | 'į' | 'İ' | 'ı' => {
            "i"
        }
        'Ĵ' | 'ĵ' => "j",
        'Ķ' | 'ķ' => "k",
        'Ĺ' | 'ĺ' | 'Ļ' | 'ļ' | 'Ľ' | 'ľ' | 'Ŀ' | 'ŀ' | 'Ł' | 'ł' => "l",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ņ' | 'ņ' | 'Ň' | 'ň' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ŏ' | 'ŏ' | 'Ő' | 'ő' => "o",
        'Œ' | 'œ' => "oe",
        'Ŕ' | 'ŕ' | 'Ŗ' | 'ŗ' | 'Ř' | 'ř' => "r",
        'Ś' | 'ś' | 'Ŝ' | 'ŝ' | 'Ş' | 'ş' | 'Š' | 'š' | 'Ș' | 'ș' => "s",
        'ß' | 'ẞ' => "ss",
        'Ţ' | 'ţ' | 'Ť' | 'ť' | 'Ŧ' | 'ŧ' | 'Ț' | 'ț' => "t",
        'Þ' | 'þ' => "th",
        'Ù'..='Ü'
        | 'ù'..='ü'
        | 'Ũ'
        | 'ũ'
        | 'Ū'
        | 'ū'
        | 'Ŭ'
        | 'ŭ'
        | 'Ů'
        | 'ů'
        | 'Ű'
        | 'ű'
        | 'Ų'
        | 'ų' => "u",
        'Ŵ' | 'ŵ' => "w",
        'Ý' | 'ý' | 'ÿ' | 'Ÿ' | 'Ŷ' | 'ŷ' => "y",
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => "z",
        _ => {
            for l in c.to_lowercase() {
                out.push(l);
            }
            return;
        }
    };
    out.push_str(folded);
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Characters that join the parts of a word without separating it ("O'Reilly", "Here’s").
fn is_joiner(c: char) -> bool {
    matches!(c, '\'' | '’' | '`' | '´')
}

/// Calls `f` with the folded form of every word of `text` (a run of letters and digits with at
/// least one letter), through one reused buffer: a cheap scan for statistics over many lines.
/// Simpler than [`tokenize`] (no domains, no "O'Reilly" joining), so for counting only.
pub fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    let mut alpha = false;
    for c in text.chars().chain(std::iter::once(' ')) {
        if is_word_char(c) {
            alpha |= !c.is_numeric();
            fold_char(c, &mut buf);
        } else if !buf.is_empty() {
            if alpha {
                f(&buf);
            }
            buf.clear();
            alpha = false;
        }
    }
}

/// Splits `text` into tokens. URLs and e-mail addresses become one [`TokenKind::Domain`] token
/// each; everything else is split on anything that is not a letter or digit.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    // Work on whitespace-separated chunks first, so that a URL or e-mail is seen whole.
    let mut chunk_start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if c.is_whitespace() || matches!(c, ';' | '(' | ')' | '[' | ']' | '<' | '>' | '"' | '|') {
            if let Some(s) = chunk_start.take() {
                tokenize_chunk(text, s, i, &mut out);
            }
        } else if chunk_start.is_none() {
            chunk_start = Some(i);
        }
    }
    out
}

fn tokenize_chunk(text: &str, start: usize, end: usize, out: &mut Vec<Token>) {
    let chunk = &text[start..end];
    if let Some((ds, de, domain)) = chunk_domain(chunk) {
        out.push(Token {
            norm: domain,
            start: start + ds,
            end: start + de,
            kind: TokenKind::Domain,
        });
        return;
    }
    let mut cur: Option<(usize, String, bool, bool)> = None; // start, norm, has_alpha, has_digit
    let mut last_end = start;
    let flush =
        |cur: &mut Option<(usize, String, bool, bool)>, end: usize, out: &mut Vec<Token>| {
            if let Some((s, norm, has_alpha, _has_digit)) = cur.take() {
                let kind = if has_alpha {
                    TokenKind::Word
                } else {
                    TokenKind::Number
                };
                out.push(Token {
                    norm,
                    start: s,
                    end,
                    kind,
                });
            }
        };
    let mut iter = chunk.char_indices().peekable();
    while let Some((off, c)) = iter.next() {
        let i = start + off;
        if is_word_char(c) {
            let entry = cur.get_or_insert_with(|| (i, String::new(), false, false));
            if c.is_numeric() {
                entry.3 = true;
            } else {
                entry.2 = true;
            }
            fold_char(c, &mut entry.1);
            last_end = i + c.len_utf8();
        } else if is_joiner(c)
            && cur.is_some()
            && iter
                .peek()
                .map(|&(_, n)| n.is_alphabetic())
                .unwrap_or(false)
        {
            // "O'Reilly" stays one token.
            continue;
        } else if (c == '.' || c == ',' || c == '/' || c == '-' || c == ':')
            && cur.as_ref().map(|e| !e.2 && e.3).unwrap_or(false)
            && iter
                .peek()
                .map(|&(_, n)| n.is_ascii_digit())
                .unwrap_or(false)
        {
            // Numbers, dates and amounts ("1,200.00", "2024-01-31", "01/2025") stay one token.
            if let Some(e) = cur.as_mut() {
                e.1.push(c);
            }
        } else {
            flush(&mut cur, last_end, out);
        }
    }
    flush(&mut cur, last_end, out);
}

/// Where `"://"` starts in `s`. A byte scan for `:` first: `str::find` with a string pattern sets
/// up a two-way searcher per call, and this runs on every chunk of every description.
fn find_scheme_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    b.iter()
        .enumerate()
        .find_map(|(i, &c)| (c == b':' && b[i + 1..].starts_with(b"//")).then_some(i))
}

/// Recognizes a chunk that is a URL, an e-mail address or a bare domain, and returns the span
/// of the host inside the chunk and the normalized domain.
fn chunk_domain(chunk: &str) -> Option<(usize, usize, String)> {
    // A domain has a dot (see `normalize_host`): most chunks are plain words and stop here.
    if !chunk.as_bytes().contains(&b'.') {
        return None;
    }
    let trimmed_end = chunk
        .trim_end_matches(['.', ',', ':', '!', '?', '\'', '’'])
        .len();
    let chunk = &chunk[..trimmed_end];
    let lower_start;
    let mut host_start = 0;
    if let Some(p) = find_scheme_end(chunk) {
        host_start = p + 3;
        lower_start = true;
    } else if let Some(p) = chunk.rfind('@') {
        host_start = p + 1;
        lower_start = true;
    } else {
        lower_start = false;
    }
    let rest = &chunk[host_start..];
    let host_len = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    let host = &rest[..host_len];
    let has_path = host_len < rest.len();
    let domain = normalize_host(host)?;
    // A bare "word.word" without scheme, '@' or path must end in a plausible TLD.
    if !lower_start && !has_path && !plausible_bare_domain(&domain) {
        return None;
    }
    Some((host_start, host_start + host_len, domain))
}

fn plausible_bare_domain(domain: &str) -> bool {
    let tld = domain.rsplit('.').next().unwrap_or("");
    tld.len() >= 2 && tld.len() <= 12 && tld.bytes().all(|b| b.is_ascii_lowercase())
}

/// Lower-cases a host name, drops `www.` and a trailing dot, and checks it has the shape of a
/// domain (at least two labels of letters, digits and hyphens, the last one alphabetic).
pub fn normalize_host(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.');
    if host.is_empty() || !host.contains('.') {
        return None;
    }
    let mut d = host.to_ascii_lowercase();
    if !d
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return None;
    }
    while let Some(rest) = d.strip_prefix("www.") {
        d = rest.to_string();
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
        return None;
    }
    let tld = labels[labels.len() - 1];
    if tld.len() < 2 || !tld.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    Some(d)
}

/// [`normalize_host`], borrowing `host` when it is normalized already (as a catalog's domains
/// are): the same result without copying it, checked in one pass.
pub fn normal_host(host: &str) -> Option<std::borrow::Cow<'_, str>> {
    let b = host.as_bytes();
    let mut prev = b'.';
    let mut plain = !host.starts_with("www.");
    for &c in b {
        plain &= c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.';
        // No empty label: not at the start, not two dots.
        plain &= !(c == b'.' && prev == b'.');
        prev = c;
    }
    // At least two labels, the last one two letters or more (and so not ending with a dot).
    plain &= match b.iter().rposition(|&c| c == b'.') {
        Some(p) => b.len() - p > 2 && b[p + 1..].iter().all(u8::is_ascii_lowercase),
        None => false,
    };
    if plain {
        Some(std::borrow::Cow::Borrowed(host))
    } else {
        normalize_host(host).map(std::borrow::Cow::Owned)
    }
}

/// The domain of a vendor card's website or e-mail field: `"https://www.Slack.com/pricing"` and
/// `"billing@slack.com"` both give `"slack.com"`.
pub fn field_domain(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let after_at = match v.rfind('@') {
        Some(p) => &v[p + 1..],
        None => v,
    };
    let after_scheme = match find_scheme_end(after_at) {
        Some(p) => &after_at[p + 3..],
        None => after_at,
    };
    let host_len = after_scheme
        .find(['/', '?', '#', ':', ' ', '>'])
        .unwrap_or(after_scheme.len());
    normalize_host(&after_scheme[..host_len])
}

/// The token sequence of a catalog alias or any text, joined by single spaces.
pub fn normalize_text(text: &str) -> String {
    tokenize(text)
        .into_iter()
        .map(|t| t.norm)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Word lists from `data/lexicon.txt`, normalized.
pub struct Lexicon {
    pub legal: Vec<Vec<String>>,
    pub geo: Vec<Vec<String>>,
    pub stop: HashSet<String>,
    pub context: HashSet<String>,
    /// (category, phrase tokens)
    pub nonsaas: Vec<(String, Vec<String>)>,
    pub freight: Vec<Vec<String>>,
    pub tax: Vec<Vec<String>>,
    pub adjustment: Vec<Vec<String>>,
    pub freemail: HashSet<String>,
    /// A cue word of the catalog (`usage`, `phone` ...) and its words in the other languages of
    /// invoices, each as tokens.
    pub cue_words: Vec<(Vec<String>, Vec<Vec<String>>)>,
}

pub const LEXICON_TEXT: &str = include_str!("data/lexicon.txt");

impl Lexicon {
    pub fn parse(text: &str) -> Lexicon {
        let mut lx = Lexicon {
            legal: Vec::new(),
            geo: Vec::new(),
            stop: HashSet::default(),
            context: HashSet::default(),
            nonsaas: Vec::new(),
            freight: Vec::new(),
            tax: Vec::new(),
            adjustment: Vec::new(),
            freemail: HashSet::default(),
            cue_words: Vec::new(),
        };
        let mut section = "";
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') {
                section = &line[1..line.len() - 1];
                continue;
            }
            let toks = |s: &str| tokenize(s).into_iter().map(|t| t.norm).collect::<Vec<_>>();
            match section {
                "legal" => lx.legal.push(toks(line)),
                "geo" => lx.geo.push(toks(line)),
                // Stop words are single tokens; a phrase here would stop each of its words.
                "stop" => {
                    let t = toks(line);
                    if t.len() == 1 {
                        lx.stop.extend(t);
                    }
                }
                "context" => lx.context.extend(toks(line)),
                "nonsaas" => {
                    if let Some((cat, phrase)) = line.split_once('|') {
                        lx.nonsaas.push((cat.trim().to_string(), toks(phrase)));
                    }
                }
                "freight" => lx.freight.push(toks(line)),
                "tax" => lx.tax.push(toks(line)),
                "adjustment" => lx.adjustment.push(toks(line)),
                "freemail" => {
                    lx.freemail.insert(line.to_ascii_lowercase());
                }
                "cue-words" => {
                    if let Some((cue, words)) = line.split_once('=') {
                        let others: Vec<Vec<String>> = words
                            .split(',')
                            .map(toks)
                            .filter(|t| !t.is_empty())
                            .collect();
                        lx.cue_words.push((toks(cue), others));
                    }
                }
                _ => {}
            }
        }
        for list in [&mut lx.legal, &mut lx.geo] {
            list.retain(|p| !p.is_empty());
            // Longest first, so "pty ltd" is stripped as one form.
            crate::sort::sort_by_key(list, |p| std::cmp::Reverse(p.len()));
        }
        lx
    }

    /// The number of tokens at the end of `tokens` that form legal suffixes (possibly several:
    /// "GmbH & Co. KG"), never the whole name.
    pub fn legal_suffix_len(&self, tokens: &[&str]) -> usize {
        let mut n = tokens.len();
        loop {
            let mut stripped = false;
            for form in &self.legal {
                if form.len() < n
                    && tokens[n - form.len()..n]
                        .iter()
                        .zip(form)
                        .all(|(a, b)| *a == b)
                {
                    n -= form.len();
                    stripped = true;
                    break;
                }
            }
            if !stripped {
                break;
            }
        }
        tokens.len() - n
    }

    /// True when `tokens[i..]` starts with a geographic qualifier; returns its length.
    pub fn geo_len_at(&self, tokens: &[&str], i: usize) -> usize {
        for form in &self.geo {
            if i + form.len() <= tokens.len()
                && tokens[i..i + form.len()]
                    .iter()
                    .zip(form)
                    .all(|(a, b)| *a == b)
            {
                return form.len();
            }
        }
        0
    }
}

/// The identity key of a vendor entity: its tokens without legal suffixes and without
/// geographic qualifiers ("Slack Technologies UK Limited" becomes "slack technologies"). Returns
/// the key without geographic stripping when that would leave nothing.
pub fn vendor_key(lx: &Lexicon, name: &str) -> String {
    let toks = tokenize(name);
    let norms: Vec<&str> = toks.iter().map(|t| t.norm.as_str()).collect();
    let keep = norms.len() - lx.legal_suffix_len(&norms);
    let core = &norms[..keep];
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < core.len() {
        // Geographic words are dropped except at the start ("Ireland Ltd" stays "ireland").
        let g = if i > 0 { lx.geo_len_at(core, i) } else { 0 };
        if g > 0 {
            i += g;
        } else {
            out.push(core[i]);
            i += 1;
        }
    }
    if out.is_empty() {
        core.join(" ")
    } else {
        out.join(" ")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn normal_host_is_normalize_host() {
        for h in [
            "slack.com",
            "eu.zoom.us",
            "a-b.c0.io",
            "www.slack.com",
            "www.www.x.de",
            "Slack.com",
            " slack.com",
            "slack.com.",
            "slack..com",
            ".slack.com",
            "slack",
            "slack.c",
            "slack.c0m",
            "slack.co-m",
            "x.y.",
            "",
            ".",
            "..",
            "a.bc",
            "wwwx.com",
            "www.com",
            "xn--bcher-kva.de",
            "bücher.de",
            "1.2.3.4",
        ] {
            assert_eq!(
                super::normal_host(h).map(|c| c.into_owned()),
                super::normalize_host(h),
                "{h:?}"
            );
        }
        assert!(matches!(
            super::normal_host("app.slack.com"),
            Some(std::borrow::Cow::Borrowed(_))
        ));
    }

    use super::*;

    fn norms(s: &str) -> Vec<String> {
        tokenize(s).into_iter().map(|t| t.norm).collect()
    }

    #[test]
    fn folds_case_diacritics_punctuation() {
        assert_eq!(
            norms("Müller & Söhne, Straße"),
            ["muller", "sohne", "strasse"]
        );
        assert_eq!(
            norms("Société Générale S.A."),
            ["societe", "generale", "s", "a"]
        );
        assert_eq!(norms("O'Reilly Media"), ["oreilly", "media"]);
        assert_eq!(
            norms("Slack Business+ (annual)"),
            ["slack", "business", "annual"]
        );
    }

    #[test]
    fn numbers_dates_amounts_are_single_tokens() {
        let t = tokenize("INV-2024-0042 01/2025 $1,200.50 2024-01-31");
        let kinds: Vec<_> = t.iter().map(|t| (t.norm.as_str(), t.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("inv", TokenKind::Word),
                ("2024-0042", TokenKind::Number),
                ("01/2025", TokenKind::Number),
                ("1,200.50", TokenKind::Number),
                ("2024-01-31", TokenKind::Number)
            ]
        );
    }

    #[test]
    fn urls_and_emails_become_domains() {
        let t =
            tokenize("see https://www.Slack.com/billing?x=1 or billing@hubspot.com, Monday.com.");
        let d: Vec<_> = t
            .iter()
            .filter(|t| t.kind == TokenKind::Domain)
            .map(|t| t.norm.as_str())
            .collect();
        assert_eq!(d, ["slack.com", "hubspot.com", "monday.com"]);
        // Legal forms with dots are not domains.
        assert!(tokenize("Acme B.V.")
            .iter()
            .all(|t| t.kind != TokenKind::Domain));
        assert!(tokenize("Acme Sp. z o.o.")
            .iter()
            .all(|t| t.kind != TokenKind::Domain));
        assert_eq!(
            field_domain("https://WWW.Atlassian.com/"),
            Some("atlassian.com".into())
        );
        assert_eq!(field_domain("ar@eu.zoom.us"), Some("eu.zoom.us".into()));
        assert_eq!(field_domain("not a domain"), None);
    }

    #[test]
    fn spans_point_into_original_text() {
        let s = "Ölwerk — Zoom Pro";
        let t = tokenize(s);
        assert_eq!(&s[t[1].start..t[1].end], "Zoom");
    }

    #[test]
    fn legal_suffixes_of_many_countries() {
        let lx = Lexicon::parse(LEXICON_TEXT);
        for (raw, key) in [
            ("Slack Technologies, LLC", "slack technologies"),
            ("Slack Technologies UK Limited", "slack technologies"),
            ("Atlassian Pty Ltd", "atlassian"),
            ("Intercom R&D Unlimited Company", "intercom r d"),
            ("Acme GmbH & Co. KG", "acme"),
            ("Acme Sp. z o.o.", "acme"),
            ("Acme S.à r.l.", "acme"),
            ("Acme B.V.", "acme"),
            ("Acme Pte. Ltd.", "acme"),
            ("Acme K.K.", "acme"),
            ("Acme ApS", "acme"),
            ("Acme Oy", "acme"),
            ("Acme AB (publ)", "acme"),
            ("Acme S.L.", "acme"),
            ("Limited", "limited"),
            ("Ireland Ltd", "ireland"),
        ] {
            assert_eq!(vendor_key(&lx, raw), key, "{raw}");
        }
    }
}
