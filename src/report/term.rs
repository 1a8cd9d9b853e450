//! The billing term a line states: "Annual subscription", "12 months", "NCE annual",
//! "Jahresabo", "abonnement annuel", "suscripción anual", "jaarlijks", "årlig", "annuale",
//! "3 years". One charge whose line says so is enough to know an annual or multi-year
//! subscription; the dates alone would need a second charge a year later.

use crate::matching::normalize::{tokenize, Token};

/// A term found on a line: its length in months and the words that said so, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub months: u32,
    pub phrase: String,
}

/// Words that mean "every year" (folded: no case, no diacritics).
const ANNUAL: &[&str] = &[
    "annual",
    "annually",
    "yearly",
    "annum",
    "p1y",
    "annuel",
    "annuelle",
    "annuels",
    "annuelles",
    "anual",
    "anuales",
    "annuale",
    "annuali",
    "jahrlich",
    "jahrliche",
    "jahrlicher",
    "jahrliches",
    "jaarlijks",
    "jaarlijkse",
    "arlig",
    "arligt",
    "arlige",
    "arliga",
    "vuosittain",
    "vuosittainen",
    "allanno",
];
/// Word starts that mean a yearly contract: "Jahresabo", "Jahreslizenz", "jaarabonnement",
/// "årsabonnemang", "vuositilaus".
const ANNUAL_PREFIXES: &[&str] = &[
    "jahres",
    "jaarabonnement",
    "jaarlicentie",
    "jaarlicenties",
    "arsabonnemang",
    "arsabonnement",
    "arslicens",
    "arsavgift",
    "vuositilaus",
    "vuosilisenssi",
];
const QUARTERLY: &[&str] = &[
    "quarterly",
    "p3m",
    "quartalsweise",
    "vierteljahrlich",
    "trimestriel",
    "trimestrielle",
    "trimestral",
    "trimestrale",
    "kwartaal",
    "driemaandelijks",
    "kvartalsvis",
    "neljannesvuosittain",
];
const MONTHLY: &[&str] = &[
    "monthly",
    "p1m",
    "monatlich",
    "monatliche",
    "mensuel",
    "mensuelle",
    "mensual",
    "mensile",
    "maandelijks",
    "maandelijkse",
    "manadlig",
    "manadsvis",
    "manedlig",
    "manedlige",
    "kuukausittain",
];
/// Units after a number: "1 year", "3 Jahre", "2 ans", "1 año", "1 anno", "1 jaar", "1 år".
const YEAR_UNITS: &[&str] = &[
    "year", "years", "yr", "yrs", "y", "jahr", "jahre", "an", "ans", "ano", "anos", "anno", "anni",
    "jaar", "ar", "aar", "vuosi", "vuotta",
];
/// "12 months", "12 Monate", "12 mois", "12 meses", "12 mesi", "12 maanden", "12 månader".
const MONTH_UNITS: &[&str] = &[
    "month",
    "months",
    "mo",
    "mos",
    "mth",
    "mths",
    "monat",
    "monate",
    "monaten",
    "mois",
    "mes",
    "meses",
    "mese",
    "mesi",
    "maand",
    "maanden",
    "manad",
    "manader",
    "maned",
    "maneder",
    "kuukausi",
    "kuukautta",
];
/// Number words for "one year", "two years", "three years".
const NUMBER_WORDS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("ein", 1),
    ("einen", 1),
    ("un", 1),
    ("une", 1),
    ("uno", 1),
    ("een", 1),
    ("ett", 1),
    ("twelve", 12),
];
/// "per year", "pro Jahr", "par an", "por año", "per jaar", "per år".
const PER: &[&str] = &["per", "pro", "par", "por"];
const PER_YEAR_UNITS: &[&str] = &["year", "yr", "jahr", "an", "ano", "anno", "jaar", "ar"];

/// A number followed by a unit, as one token ("12mo", "1yr", "36m") or two ("12 months"); the
/// flag says whether the unit was the next token.
fn number_and_unit<'t>(tok: &'t str, next: Option<&'t str>) -> Option<(u32, &'t str, bool)> {
    // ASCII digits are one byte each: the digits are a prefix of the token, borrowed.
    let digits = &tok[..tok.bytes().take_while(u8::is_ascii_digit).count()];
    let n: u32 = match digits.parse() {
        Ok(n) => n,
        Err(_) => NUMBER_WORDS
            .iter()
            .find(|(w, _)| *w == tok)
            .map(|(_, n)| *n)?,
    };
    let rest = &tok[digits.len()..];
    if !rest.is_empty() && !digits.is_empty() {
        // "12m", "36m"; a bare "1m" is as likely a million.
        let unit = if rest == "m" && n >= 12 { "mo" } else { rest };
        return Some((n, unit, false));
    }
    next.map(|u| (n, u, true))
}

/// Months of one unit phrase, when it names a billing term.
fn months_of(n: u32, unit: &str) -> Option<u32> {
    if YEAR_UNITS.contains(&unit) && (1..=5).contains(&n) {
        Some(n * 12)
    } else if MONTH_UNITS.contains(&unit) && matches!(n, 1 | 3 | 12 | 24 | 36 | 48 | 60) {
        Some(n)
    } else {
        None
    }
}

/// The term `text` states, if any. A line that states two different terms ("annual plan,
/// billed monthly", "NCE annual commitment, monthly billing") bills more often than its term:
/// the dates decide, so `None`.
pub fn stated_term(text: &str) -> Option<Term> {
    let toks = tokenize(text);
    term_of(text, &toks, &flags_of(&toks))
}

/// What each word of [`ANNUAL`], [`QUARTERLY`], [`MONTHLY`], [`PER`], [`NUMBER_WORDS`],
/// [`ADD_ON_WORDS`] and the first words of [`ADD_ON_PAIRS`] is, looked up once per token
/// instead of compared with each list in turn (~100 comparisons per token were a fifth of a
/// report).
const IN_ANNUAL: u8 = 1;
const IN_QUARTERLY: u8 = 2;
const IN_MONTHLY: u8 = 4;
const IN_PER: u8 = 8;
const IN_NUMBER_WORDS: u8 = 16;
const IN_ADD_ON_WORDS: u8 = 32;
const IN_ADD_ON_PAIRS: u8 = 64;

fn word_flags(w: &str) -> u8 {
    static WORDS: std::sync::OnceLock<crate::fastmap::FastMap<&'static str, u8>> =
        std::sync::OnceLock::new();
    let words = WORDS.get_or_init(|| {
        let mut m = crate::fastmap::FastMap::default();
        let lists: [(&[&'static str], u8); 5] = [
            (ANNUAL, IN_ANNUAL),
            (QUARTERLY, IN_QUARTERLY),
            (MONTHLY, IN_MONTHLY),
            (PER, IN_PER),
            (ADD_ON_WORDS, IN_ADD_ON_WORDS),
        ];
        for (list, flag) in lists {
            for w in list {
                *m.entry(*w).or_default() |= flag;
            }
        }
        for (w, _) in NUMBER_WORDS {
            *m.entry(*w).or_default() |= IN_NUMBER_WORDS;
        }
        for (w, _) in ADD_ON_PAIRS {
            *m.entry(*w).or_default() |= IN_ADD_ON_PAIRS;
        }
        m
    });
    words.get(w).copied().unwrap_or(0)
}

fn flags_of(toks: &[Token]) -> Vec<u8> {
    toks.iter().map(|t| word_flags(&t.norm)).collect()
}

fn term_of(text: &str, toks: &[Token], flags: &[u8]) -> Option<Term> {
    let mut found: Vec<(u32, String)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let w = toks[i].norm.as_str();
        // A word in none of the lists, not starting as an annual prefix does and not starting
        // with a digit states no term: each branch below needs one of the three.
        let first = w.as_bytes().first().copied();
        if flags[i] == 0
            && !first.is_some_and(|b| b.is_ascii_digit())
            && !ANNUAL_PREFIXES
                .iter()
                .any(|p| p.as_bytes().first() == first.as_ref())
        {
            i += 1;
            continue;
        }
        let phrase = |from: usize, to: usize| text[toks[from].start..toks[to].end].to_owned();
        if ANNUAL.contains(&w) || ANNUAL_PREFIXES.iter().any(|p| w.starts_with(p)) {
            found.push((12, phrase(i, i)));
        } else if QUARTERLY.contains(&w) {
            found.push((3, phrase(i, i)));
        } else if MONTHLY.contains(&w) {
            found.push((1, phrase(i, i)));
        } else if PER.contains(&w)
            && toks
                .get(i + 1)
                .is_some_and(|t| PER_YEAR_UNITS.contains(&t.norm.as_str()))
        {
            found.push((12, phrase(i, i + 1)));
            i += 1;
        } else if let Some((n, unit, two)) =
            number_and_unit(w, toks.get(i + 1).map(|t| t.norm.as_str()))
        {
            if let Some(m) = months_of(n, unit) {
                let end = if two { i + 1 } else { i };
                found.push((m, phrase(i, end)));
                i = end;
            }
        }
        i += 1;
    }
    let first = found.first()?.clone();
    if found.iter().any(|(m, _)| *m != first.0) {
        return None;
    }
    Some(Term {
        months: first.0,
        phrase: first.1,
    })
}

/// Words of a charge that is not the subscription's periodic price: extra seats bought mid-cycle,
/// prorations, overage, true-ups, one-off services. In the languages ledgers are kept in.
const ADD_ON_WORDS: &[&str] = &[
    "additional",
    "prorated",
    "proration",
    "prorata",
    "overage",
    "overages",
    "trueup",
    "onboarding",
    "implementation",
    "setup",
    "consulting",
    "zusatzliche",
    "zusatzlich",
    "anteilig",
    "nachberechnung",
    "einrichtung",
    "supplementaire",
    "supplementaires",
    "adicional",
    "adicionales",
    "prorrateo",
    "prorrata",
    "aggiuntivo",
    "aggiuntivi",
    "aggiuntive",
    "aanvullende",
    "ytterligare",
    "yderligere",
    "ytterligere",
];
/// Word pairs that say the same: "pro rata", "true up", "one time", "one off", "set up",
/// "professional services".
const ADD_ON_PAIRS: &[(&str, &str)] = &[
    ("pro", "rata"),
    ("true", "up"),
    ("one", "time"),
    ("one", "off"),
    ("set", "up"),
    ("professional", "services"),
    ("au", "prorata"),
];

/// Whether a line describes a charge beside the subscription's periodic price (extra seats,
/// proration, overage, services): such a charge is neither a price nor a billing date.
pub fn is_add_on(text: &str) -> bool {
    let toks = tokenize(text);
    add_on_of(&toks, &flags_of(&toks))
}

fn add_on_of(toks: &[Token], flags: &[u8]) -> bool {
    flags.iter().any(|f| f & IN_ADD_ON_WORDS != 0)
        || toks.windows(2).enumerate().any(|(i, w)| {
            flags[i] & IN_ADD_ON_PAIRS != 0
                && ADD_ON_PAIRS.contains(&(w[0].norm.as_str(), w[1].norm.as_str()))
        })
}

/// What the report reads on one line: whether it is an add-on, and the term it states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFacts {
    pub add_on: bool,
    pub term: Option<Term>,
}

/// Both readings of a line with one tokenization, once per distinct text: ledgers repeat the
/// same line month after month. The readings are kept in order of first reading and named by
/// their index, so a transaction reads each of its texts once and then holds plain indexes.
#[derive(Default)]
pub struct LineReader<'a> {
    // Fx: the texts are the report's own transactions', and SipHash of each was 5% of a report.
    seen: crate::fastmap::FastMap<&'a str, u32>,
    facts: Vec<LineFacts>,
}

impl<'a> LineReader<'a> {
    /// The index of `text`'s readings (see [`LineReader::facts`]).
    pub fn read(&mut self, text: &'a str) -> u32 {
        if let Some(&i) = self.seen.get(text) {
            return i;
        }
        let toks = tokenize(text);
        let flags = flags_of(&toks);
        let i = self.facts.len() as u32;
        self.facts.push(LineFacts {
            add_on: add_on_of(&toks, &flags),
            term: term_of(text, &toks, &flags),
        });
        self.seen.insert(text, i);
        i
    }

    /// The readings of index `i`, as [`LineReader::read`] gave it.
    pub fn facts(&self, i: u32) -> &LineFacts {
        &self.facts[i as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months(s: &str) -> Option<u32> {
        stated_term(s).map(|t| t.months)
    }

    #[test]
    fn terms_in_the_languages_ledgers_are_kept_in() {
        for s in [
            "Annual subscription",
            "Slack Business+ 12 months",
            "Atlassian Cloud 1 year",
            "M365 E3 NCE annual",
            "Figma Organization - 12mo",
            "Notion Plus 12M",
            "Adobe CC 1-year term",
            "Jahresabo Miro",
            "Jahreslizenz Personio",
            "Abonnement annuel Pennylane",
            "Suscripción anual Holded",
            "Abbonamento annuale Fatture in Cloud",
            "Jaarlijks abonnement Exact",
            "Årlig licens Fortnox",
            "Lizenz 12 Monate",
            "Licence 12 mois",
        ] {
            assert_eq!(months(s), Some(12), "{s}");
        }
        for s in [
            "Pro plan, per year",
            "Lizenz pro Jahr",
            "Licence par an",
            "Licencia por año",
            "Licenza all'anno",
            "Licentie per jaar",
            "Licens per år",
            "Support twelve months",
        ] {
            assert_eq!(months(s), Some(12), "{s}");
        }
        assert_eq!(months("Datadog 3 years commit"), Some(36));
        assert_eq!(months("Salesforce 36 months agreement"), Some(36));
        assert_eq!(months("Jira quarterly"), Some(3));
        assert_eq!(months("Slack Pro monthly"), Some(1));
        let t = stated_term("NCE Annual - Microsoft 365 E3").unwrap();
        assert_eq!(t.phrase, "Annual");
        assert_eq!(stated_term("Lizenz 12 Monate").unwrap().phrase, "12 Monate");
    }

    #[test]
    fn add_on_charges() {
        for s in [
            "Slack Business+ - 5 additional seats (prorated)",
            "Proration credit for unused time",
            "Freshdesk - overage charges October 2026",
            "Slack - professional services / onboarding",
            "Microsoft 365 E3 true-up",
            "Einrichtung Workspace",
            "3 zusätzliche Benutzer anteilig",
            "Licences supplémentaires au prorata",
            "Usuarios adicionales",
        ] {
            assert!(is_add_on(s), "{s}");
        }
        for s in [
            "Slack Business+ (monthly) - 115 users",
            "Jira Software Cloud Standard",
            "Annual subscription",
        ] {
            assert!(!is_add_on(s), "{s}");
        }
    }

    #[test]
    fn no_term_or_two_terms_say_nothing() {
        for s in [
            "Slack Pro",
            "Invoice 2026-01",
            "25 users",
            "Annual plan, billed monthly",
            "NCE annual commitment monthly billing",
            "Order 12 345",
            "Zoom Pro x12",
        ] {
            assert_eq!(months(s), None, "{s}");
        }
    }
}
