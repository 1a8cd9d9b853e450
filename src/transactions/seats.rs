//! Seats, price per seat and billing period of an invoice line.
//!
//! Pure: a line's BC figures and text in, [`Terms`] out; every rule is here.
//!
//! # Seats and price per seat
//! 1. **BC says it**: when the line's `quantity` is a whole number of at least 2, its unit of
//!    measure is not a unit of time, and `quantity × unitCost` equals `netAmount` to half a
//!    cent (BC rounds line amounts to the cent), the quantity is the seat count and `unitCost`
//!    the price per seat. A seat unit of measure (`USER`, `LIC`, `SEAT` ...) makes the quantity
//!    the seat count even when a line discount breaks that equality; the price per seat is then
//!    the net amount divided by the seats.
//! 2. **Else the description says it**, in English, French, German, Spanish, Italian, Dutch and
//!    the Nordic languages: a whole number before a seat word ("45 users", "25 Benutzer",
//!    "40 licences", "5 postes", "12 utenti", "10 gebruikers", "8 användare", "60 empleados"),
//!    a seat word or quantity word before it ("Users: 45", "Qty 120", "Anzahl 5", "Lizenzen
//!    (14)"; a year in parentheses is none), or a
//!    multiplier ("x12", "40 x", "× 10"; "2 x 50 users" is 100). Seats count licensed units:
//!    users, seats, licences, members, agents, editors, creators, learners, hosts (of meetings:
//!    not on a line about infrastructure, APM or servers), devices, endpoints, rooms, mailboxes
//!    and employees. They never count contacts, tokens, GB, calls or other usage: a multiplier
//!    or quantity word next to such a unit, or to a unit of time ("x12 months"), is not a seat
//!    count, nor is a cap ("up to 50 users"), a band ("51-75 employees"), a price ("€8/user",
//!    "12 per user") or a decimal ("12,50"). Thousands separators follow the language: "1,200",
//!    "1.200", "1 200" (non-breaking space) and "1'200" are all 1200; a plain space is read as one
//!    only between one or two digits and a group of three before a seat word ("1 200
//!    utilisateurs"). The price per seat is then the net amount divided by the seats.
//!
//! **Rounding.** A price per seat that is a division is the exact quotient rounded half to even
//! to four decimals (ten-thousandths, like every amount: [`crate::money`]); `unitCost` is taken
//! as BC gives it. It is the price for the period the line covers, not normalized per month.
//! No price is given for a negative amount.
//!
//! A quantity that the text says is a number of months or years ("12 months" with quantity 12)
//! counts time, not seats.
//!
//! # Period
//! The period the charged amount covers, when the line states it: `monthly` ("monthly",
//! "monatlich", "mensuel", "mensual", "mensile", "maandelijks", "månad", "1 month", "/mo"),
//! `quarterly` ("quarterly", "Q3", "Quartal", "trimestriel", "kwartaal", "kvartal", "3 months"),
//! `annual` ("annual", "yearly", "12 mo", "1 yr", "P1Y", "NCE annual", "Jahresabo", "jährlich",
//! "annuel", "anual", "annuale", "jaarlijks", "årlig", "12 mnd", "p.a.", a date range of a year
//! written with numbers or month names: "01/12/2026-30/11/2027", "1 Dec 2026 - 30 Nov 2027", "Nov
//! 2026 - Oct 2027", "1. Dezember 2026 bis 30. November 2027", a range of months "03/2027 -
//! 02/2028") or `multiYear` ("3YR", "36 months", "P3Y", "mehrjährig", "triennale", "driejarig",
//! "bienal"). Danish "12 mdr" is twelve months; Dutch "maand" alone is the period, as "månad" is,
//! but not before a month's name ("maand oktober"). A period next to a billing word wins over
//! another one ("annual plan billed monthly" is `monthly`); one next to a commitment word ("annual
//! commitment", "Laufzeit 12 Monate", "engagement annuel") is the length of the contract and counts
//! only when no other is stated; otherwise the longer one stated wins. A unit of measure that is a
//! unit of time (`MONTH` × 12) says it when the text does not. Inflected and compound forms count
//! ("jährliche", "jaarlijkse", "kvartalsbetalning", "kuukausimaksu", "månadsavgift", "årsavtale"),
//! as do a year range ("2026-2027": annual) and, when nothing else is stated, a renewal naming its
//! year ("renewal 2027", "renewal FY28", "Verlängerung … 2027": annual). A month named alone
//! ("Slack Pro - Nov 2026") is not a period: an annual charge's line names its month too, and the
//! report takes the charges' cadence then.
//!
//! Seats are counted in users, seats, licences, members ("Mitglieder", "medlemmar"), agents,
//! editors, people, senders, rooms, phone lines ("18 lines", "60 lignes"; not log or code lines),
//! employees ... in the languages above; a qualifier hyphenated to the seat word counts ("50
//! Standard-Lizenzen"), and so does one written as a compound with it ("12 Standardlizenzen", "10
//! basislicenties", "4 fullbrukere"; not "forbrugere", consumers); a single-user licence
//! ("Einzellizenz", "monoposte") is one seat; a count stated with its seat word goes before a
//! multiplier written after its number ("Claude Max 20x - 1 user" is 1), not before one written
//! before it ("x20").

use crate::money::Amount;
use serde::Serialize;

/// The period a charged amount covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Period {
    Monthly,
    Quarterly,
    Annual,
    MultiYear,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Monthly => "monthly",
            Period::Quarterly => "quarterly",
            Period::Annual => "annual",
            Period::MultiYear => "multiYear",
        }
    }

    /// Months the period covers, when it is one length (not `multiYear`).
    pub fn months(self) -> Option<u32> {
        match self {
            Period::Monthly => Some(1),
            Period::Quarterly => Some(3),
            Period::Annual => Some(12),
            Period::MultiYear => None,
        }
    }
}

/// What a line says about seats, price per seat and period; each only when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Terms {
    pub seats: Option<u32>,
    /// Per seat, for the period the line covers, in the line's currency.
    pub unit_price: Option<Amount>,
    pub period: Option<Period>,
    /// For a `multiYear` period, the months it covers when the line says how long ("3YR",
    /// "36 months", "P3Y", "3-year", 36 x `MONTH`); `None` for one stated without its length
    /// ("mehrjährig", a date range) or two lengths that disagree.
    pub term_months: Option<u32>,
}

/// A line's figures as BC gives them.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineFigures<'a> {
    pub description: &'a str,
    pub description2: Option<&'a str>,
    pub quantity: Option<Amount>,
    pub unit_cost: Option<Amount>,
    pub unit_of_measure: Option<&'a str>,
    /// `netAmount`: after line and invoice discounts, excluding tax.
    pub net_amount: Amount,
}

/// What a line's text alone says ([`terms`] weighs it with the line's figures).
#[derive(Debug, Clone, Default)]
struct TextTerms {
    period: Option<Period>,
    multi_year_months: Option<u32>,
    /// Numbers the text says are months or years ("12 months").
    time_counts: Vec<u64>,
    seats: Option<u32>,
}

fn text_terms(description: &str, description2: Option<&str>) -> TextTerms {
    let mut toks = tokens(description);
    if let Some(d2) = description2 {
        toks.push(Tok::Sym('|'));
        toks.extend(tokens(d2));
    }
    TextTerms {
        period: period_of(&toks, description),
        multi_year_months: multi_year_months(&toks),
        time_counts: time_counts(&toks),
        seats: seats_of(&toks),
    }
}

/// [`terms`] of many lines, reading each distinct text once: a build reads the same product
/// line on every monthly invoice, and reading its text is most of the cost (the figures, which
/// vary, are weighed per line).
#[derive(Default)]
pub struct TermsMemo<'a> {
    texts: crate::fastmap::FastMap<(&'a str, Option<&'a str>), TextTerms>,
}

impl<'a> TermsMemo<'a> {
    /// Equal to `terms(line)`.
    pub fn terms(&mut self, line: &LineFigures<'a>) -> Terms {
        let text = self
            .texts
            .entry((line.description, line.description2))
            .or_insert_with(|| text_terms(line.description, line.description2));
        weigh(text, line)
    }
}

/// The terms of one line (see the module docs).
pub fn terms(line: &LineFigures) -> Terms {
    weigh(&text_terms(line.description, line.description2), line)
}

/// The terms of a line whose text says `text`.
fn weigh(text: &TextTerms, line: &LineFigures) -> Terms {
    let time_unit = line.unit_of_measure.and_then(time_unit_months);
    let seat_unit = line.unit_of_measure.is_some_and(is_seat_unit);
    let whole_quantity = line
        .quantity
        .filter(|q| q.0 > 0 && q.0 % SCALE == 0)
        .and_then(|q| u32::try_from(q.0 / SCALE).ok());

    let uom_months = time_unit.zip(whole_quantity).map(|(u, q)| u * q);
    let period = text.period.or_else(|| period_of_months(uom_months?));
    let mut out = Terms {
        period,
        term_months: (period == Some(Period::MultiYear))
            .then(|| {
                text.multi_year_months
                    .or_else(|| uom_months.filter(|&m| period_of_months(m) == period))
            })
            .flatten(),
        ..Terms::default()
    };
    // A quantity the text says is a number of months or years ("12 months") is not seats.
    let bc_seats = whole_quantity
        .filter(|&q| q >= 2 && time_unit.is_none() && !text.time_counts.contains(&u64::from(q)));
    if let Some(q) = bc_seats {
        let per_seat = line.unit_cost.filter(|uc| {
            let total = i128::from(uc.0) * i128::from(q);
            (total - i128::from(line.net_amount.0)).abs() <= 50
        });
        if let Some(uc) = per_seat {
            out.seats = Some(q);
            out.unit_price = (line.net_amount.0 >= 0).then_some(uc);
            return out;
        }
        if seat_unit {
            out.seats = Some(q);
            out.unit_price = price_per_seat(line.net_amount, q);
            return out;
        }
    }
    if let Some(n) = text.seats {
        out.seats = Some(n);
        out.unit_price = price_per_seat(line.net_amount, n);
    }
    out
}

/// `net / seats`, rounded half to even to four decimals.
pub fn price_per_seat(net: Amount, seats: u32) -> Option<Amount> {
    if seats == 0 || net.0 < 0 {
        return None;
    }
    let d = i64::from(seats);
    let (q, r) = (net.0 / d, net.0 % d);
    let up = match (2 * r).cmp(&d) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q % 2 == 1,
        std::cmp::Ordering::Less => false,
    };
    Some(Amount(q + i64::from(up)))
}

const SCALE: i64 = crate::money::SCALE;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Letters (and digits after a letter, or digits followed by letters: "x12", "12mo"),
    /// lower-case, diacritics folded.
    Word(String),
    /// A whole number (thousands separators read), or `None` for a decimal ("12,50").
    Num(Option<u64>),
    Sym(char),
}

/// Separators that may sit inside a number: thousands or decimal marks.
fn number_sep(c: char) -> bool {
    matches!(c, ',' | '.' | '\'' | '\u{a0}' | '\u{202f}' | '’')
}

/// The word that starts after `i` and any whitespace, folded.
fn next_word(chars: &[char], mut i: usize) -> Option<String> {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    let mut w = String::new();
    while let Some(&c) = chars.get(i).filter(|c| c.is_alphabetic()) {
        crate::matching::normalize::fold_char(c, &mut w);
        i += 1;
    }
    (!w.is_empty()).then_some(w)
}

fn tokens(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    // Where the last number of one or two digits ended (for "1 200").
    let mut last_short_number: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() {
            let start = i;
            let mut raw = String::new();
            while i < chars.len() {
                let c = chars[i];
                let inner_sep = number_sep(c)
                    && i > start
                    && chars[i - 1].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
                    && raw.chars().all(|r| r.is_ascii_digit() || number_sep(r));
                if c.is_alphanumeric() || inner_sep {
                    raw.push(c);
                    i += 1;
                } else {
                    break;
                }
            }
            if raw.chars().all(|r| r.is_ascii_digit() || number_sep(r)) {
                // "1 200 utilisateurs": a plain space as thousands separator, read only between
                // a number of one or two digits and a group of three before a seat word.
                let spaced_thousands = raw.len() == 3
                    && raw.bytes().all(|b| b.is_ascii_digit())
                    && start >= 3
                    && chars[start - 1] == ' '
                    && last_short_number == Some(start - 1)
                    && next_word(&chars, i).is_some_and(|w| is_seat_word(&w));
                match (spaced_thousands, out.last_mut()) {
                    (true, Some(Tok::Num(Some(k)))) => {
                        *k = *k * 1000 + raw.parse::<u64>().unwrap_or(0);
                    }
                    _ => out.push(Tok::Num(whole_number(&raw))),
                }
                last_short_number =
                    (raw.len() <= 2 && raw.bytes().all(|b| b.is_ascii_digit())).then_some(i);
            } else {
                let mut w = String::new();
                for c in raw.chars() {
                    crate::matching::normalize::fold_char(c, &mut w);
                }
                out.push(Tok::Word(w));
            }
        } else {
            let spaced = |k: Option<usize>| {
                k.and_then(|k| chars.get(k))
                    .map_or(true, |n| n.is_whitespace())
            };
            if matches!(c, '-' | '–' | '—') && (spaced(i.checked_sub(1)) || spaced(Some(i + 1)))
            {
                // A dash between spaces separates parts ("Sage 100 - 5 postes"); one between
                // numbers joins them ("51-75").
                out.push(Tok::Sym('|'));
            } else if !c.is_whitespace() {
                out.push(Tok::Sym(c));
            }
            i += 1;
        }
    }
    out
}

/// A whole number: digits, or groups of three after the first separated by one kind of mark.
fn whole_number(raw: &str) -> Option<u64> {
    let groups: Vec<&str> = raw.split(number_sep).collect();
    let seps: Vec<char> = raw.chars().filter(|&c| number_sep(c)).collect();
    let one_kind = seps.windows(2).all(|w| w[0] == w[1]);
    let thousands = groups.len() == 1
        || (one_kind
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3));
    if !thousands {
        return None;
    }
    groups.concat().parse().ok()
}

/// Words that name a licensed unit, in the languages of the module docs (folded, lower case).
const SEAT_WORDS: &[&str] = &[
    // English
    "user",
    "users",
    "seat",
    "seats",
    "licence",
    "licences",
    "license",
    "licenses",
    "lic",
    "member",
    "members",
    "agent",
    "agents",
    "editor",
    "editors",
    "creator",
    "creators",
    "learner",
    "learners",
    "host",
    "hosts",
    "device",
    "devices",
    "endpoint",
    "endpoints",
    "room",
    "rooms",
    "mailbox",
    "mailboxes",
    "employee",
    "employees",
    "staff",
    "people",
    "persons",
    "sender",
    "senders",
    // German
    "benutzer",
    "nutzer",
    "anwender",
    "lizenz",
    "lizenzen",
    "platz",
    "platze",
    "arbeitsplatze",
    "mitarbeiter",
    "mitarbeitende",
    "mitglieder",
    "gerate",
    "postfacher",
    "personen",
    "raume",
    "besprechungsraume",
    "konferenzraume",
    // French
    "utilisateur",
    "utilisateurs",
    "poste",
    "postes",
    "salarie",
    "salaries",
    "employe",
    "employes",
    "siege",
    "sieges",
    "collaborateurs",
    "membres",
    "personnes",
    "salles",
    // Spanish
    "usuario",
    "usuarios",
    "licencia",
    "licencias",
    "puesto",
    "puestos",
    "empleado",
    "empleados",
    "asientos",
    "agentes",
    "miembros",
    "dispositivos",
    "personas",
    "salas",
    // Italian
    "utente",
    "utenti",
    "licenza",
    "licenze",
    "postazione",
    "postazioni",
    "dipendente",
    "dipendenti",
    "agenti",
    "membri",
    "dispositivi",
    "persone",
    // Dutch
    "gebruiker",
    "gebruikers",
    "licentie",
    "licenties",
    "plekken",
    "werknemers",
    "medewerkers",
    "leden",
    "apparaten",
    "vergaderruimtes",
    "zalen",
    // Swedish, Danish, Norwegian, Finnish
    "anvandare",
    "licens",
    "licenser",
    "anstallda",
    "medarbetare",
    "platser",
    "enheter",
    "medlemmar",
    "medlemmer",
    "bruger",
    "brugere",
    "medarbejdere",
    "ansatte",
    "pladser",
    "bruker",
    "brukere",
    "lisens",
    "lisenser",
    "kayttaja",
    "kayttajaa",
    "kayttajat",
    "lisenssi",
    "lisenssia",
    "tyontekijaa",
    "personer",
    "motesrum",
    "modelokaler",
    "moterom",
    "henkiloa",
    "jasenta",
];

/// Seat words that end a compound ("Standardlizenzen", "basislicenties", "fullbrukere",
/// "slutanvändare"): the compound counts as the seat word. Rooms and places are left out
/// ("Parkplätze", "Lagerräume" are no seats).
const COMPOUND_SEAT_ENDINGS: &[&str] = &[
    "lizenz",
    "lizenzen",
    "benutzer",
    "nutzer",
    "anwender",
    "mitarbeiter",
    "licentie",
    "licenties",
    "gebruiker",
    "gebruikers",
    "medewerkers",
    "licens",
    "licenser",
    "anvandare",
    "bruger",
    "brugere",
    "bruker",
    "brukere",
    "lisens",
    "lisenser",
    "medarbejdere",
    "medarbetare",
    "ansatte",
    "anstallda",
    "kayttajaa",
];

/// A compound ending in a seat word ("standardlizenzen"), not "forbruger" (a consumer).
fn is_compound_seat_word(w: &str) -> bool {
    // `strip_suffix` leaves a whole `str`: the endings are ASCII.
    COMPOUND_SEAT_ENDINGS.iter().any(|e| {
        w.strip_suffix(e)
            .is_some_and(|head| head.len() >= 3 && !head.ends_with("for"))
    })
}

/// Phone lines ("18 lines", "60 lignes", "6 líneas"): seats, unless the line is about logs or
/// code ("15 million log lines").
const LINE_WORDS: &[&str] = &[
    "line", "lines", "ligne", "lignes", "linea", "lineas", "linee", "lijn", "lijnen", "linjer",
];
/// Words that make "lines" something else than phone lines.
const NOT_PHONE_LINE: &[&str] = &[
    "log", "logs", "code", "million", "millions", "mio", "billion", "text", "order", "invoice",
];

/// A licence for one user ("Einzellizenz", "licence monoposte"): one seat when the line counts
/// nothing else.
const SINGLE_SEAT_WORDS: &[&str] = &[
    "einzellizenz",
    "einzelplatzlizenz",
    "einzelplatz",
    "einzelnutzerlizenz",
    "monoposte",
    "enkeltbrugerlicens",
];

/// Words that announce a count ("Qty 120", "Anzahl: 5").
const QUANTITY_WORDS: &[&str] = &[
    "qty", "quantity", "anzahl", "menge", "qte", "quantite", "cantidad", "cant", "quantita",
    "aantal", "antal", "antall", "maara",
];

/// Words that make the number after them a cap, not a count ("up to 50"): one word, or the
/// last of two (`("to", "up")` is "up to").
const CAP_WORDS: &[&str] = &[
    "max", "maximum", "maks", "hasta", "inntil", "enintaan", "bis", "upto", "tot",
];
const CAP_PAIRS: &[(&str, &str)] = &[
    ("to", "up"),
    ("zu", "bis"),
    ("a", "jusqu"),
    ("a", "fino"),
    ("till", "upp"),
    ("til", "op"),
    ("til", "opp"),
];

/// Words between a number and a seat word that make it a price ("12 per user").
const RATE_WORDS: &[&str] = &["per", "pro", "par", "por", "je", "a", "each", "pr"];

pub fn is_seat_word(w: &str) -> bool {
    SEAT_WORDS.contains(&w)
}

/// A unit that is not a seat: usage, storage, time.
fn is_other_unit(w: &str) -> bool {
    const UNITS: &[&str] = &[
        "contacts",
        "contact",
        "kontakte",
        "tokens",
        "token",
        "gb",
        "tb",
        "mb",
        "calls",
        "requests",
        "credits",
        "minutes",
        "min",
        "hours",
        "hrs",
        "sms",
        "messages",
        "emails",
        "transactions",
        "payslips",
        "cards",
        "mau",
        "mtu",
        "events",
        "sessions",
        "attendees",
        "participants",
        "api",
        "units",
    ];
    UNITS.contains(&w) || month_unit(w) || year_unit(w)
}

fn month_unit(w: &str) -> bool {
    matches!(
        w,
        "month"
            | "months"
            | "mo"
            | "mos"
            | "mth"
            | "mths"
            | "monat"
            | "monate"
            | "monaten"
            | "mois"
            | "mes"
            | "meses"
            | "mese"
            | "mesi"
            | "maand"
            | "maanden"
            | "mnd"
            | "mdr"
            | "man"
            | "manad"
            | "manader"
            | "maned"
            | "maneder"
            | "kk"
            | "kuukausi"
            | "kuukautta"
            | "m"
    )
}

fn year_unit(w: &str) -> bool {
    matches!(
        w,
        "year"
            | "years"
            | "yr"
            | "yrs"
            | "y"
            | "jahr"
            | "jahre"
            | "an"
            | "ans"
            | "ano"
            | "anos"
            | "anno"
            | "anni"
            | "jaar"
            | "ar"
            | "aar"
            | "vuosi"
            | "vuotta"
    )
}

fn is_currency(t: &Tok) -> bool {
    match t {
        Tok::Sym(c) => matches!(c, '€' | '$' | '£' | '¥' | '₣'),
        Tok::Word(w) => matches!(
            w.as_str(),
            "eur" | "usd" | "gbp" | "chf" | "sek" | "dkk" | "nok" | "kr" | "euro" | "euros"
        ),
        Tok::Num(_) => false,
    }
}

/// `x12`, `12x`: a multiplier written as one word.
fn multiplier_word(w: &str) -> Option<u64> {
    let digits = w.strip_prefix('x').or_else(|| w.strip_suffix('x'))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Words that make "hosts" servers to monitor, not people hosting meetings.
fn infrastructure_line(toks: &[Tok]) -> bool {
    toks.iter().any(|t| {
        matches!(t, Tok::Word(w) if matches!(w.as_str(),
            "infrastructure" | "infra" | "apm" | "server" | "servers" | "container"
                | "containers" | "monitoring" | "vm" | "vms" | "nodes"))
    })
}

fn seats_of(toks: &[Tok]) -> Option<u32> {
    let infrastructure = infrastructure_line(toks);
    let not_phone = toks
        .iter()
        .any(|t| matches!(t, Tok::Word(w) if NOT_PHONE_LINE.contains(&w.as_str())));
    let is_seat_word = |w: &str| {
        (is_seat_word(w) && !(infrastructure && w.starts_with("host")))
            || is_compound_seat_word(w)
            || (!not_phone && LINE_WORDS.contains(&w))
    };
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    let sym = |i: usize, c: char| toks.get(i) == Some(&Tok::Sym(c));
    let to_count = |n: u64| u32::try_from(n).ok().filter(|&n| n > 0);
    // A number is a count only when nothing around it makes it a date, price, band or cap.
    let plain_number = |i: usize| -> Option<u64> {
        let Some(Tok::Num(Some(n))) = toks.get(i) else {
            return None;
        };
        let before = i.checked_sub(1).and_then(|b| toks.get(b));
        let after = toks.get(i + 1);
        // "11/2026", "8/user": a date or a rate. "51-75", "1.12.": a band or a date.
        let slash = |t: Option<&Tok>| matches!(t, Some(Tok::Sym('/')));
        let joins = |t: Option<&Tok>, other: Option<&Tok>| {
            matches!(t, Some(Tok::Sym('-' | '–' | '.'))) && matches!(other, Some(Tok::Num(_)))
        };
        let before2 = i.checked_sub(2).and_then(|b| toks.get(b));
        if slash(before)
            || slash(after)
            || joins(before, before2)
            || joins(after, toks.get(i + 2))
            || before.is_some_and(is_currency)
        {
            return None;
        }
        if after.is_some_and(is_currency) {
            return None;
        }
        // The two words before the number, skipping marks ("jusqu'à").
        let mut before_words = toks[..i].iter().rev().filter_map(|t| match t {
            Tok::Word(w) => Some(w.as_str()),
            _ => None,
        });
        let (w1, w2) = (before_words.next(), before_words.next());
        let adjacent_word = i > 0 && matches!(toks[i - 1], Tok::Word(_) | Tok::Sym('\'' | '’'));
        if adjacent_word
            && (w1.is_some_and(|w| CAP_WORDS.contains(&w))
                || w1.zip(w2).is_some_and(|p| CAP_PAIRS.contains(&p)))
        {
            return None;
        }
        Some(*n)
    };
    // The unit after a multiplier or quantity word at `i` (skipping up to two words).
    let unit_after = |mut i: usize| -> Option<&str> {
        for _ in 0..3 {
            match toks.get(i) {
                Some(Tok::Word(w)) if is_seat_word(w) || is_other_unit(w) => return Some(w),
                Some(Tok::Word(_)) => i += 1,
                _ => return None,
            }
        }
        None
    };
    let not_other_unit = |i: usize| !unit_after(i).is_some_and(is_other_unit);

    // A count the line gives with its seat word ("1 user") goes before a multiplier written
    // after its number, which may be the plan's ("Claude Max 20x - 1 user"): such a multiplier
    // counts only when nothing else does.
    let mut suffix_multiplier: Option<Option<u32>> = None;
    for i in 0..toks.len() {
        // "45 users", "10 named users", "5 Pro seats", "50 Standard-Lizenzen".
        if let Some(n) = plain_number(i) {
            let mut j = i + 1;
            for _ in 0..=2 {
                // A hyphen joining two words is inside one compound ("Standard-Lizenzen").
                if j > i + 1 && sym(j, '-') && word(j - 1).is_some() && word(j + 1).is_some() {
                    j += 1;
                }
                let Some(w) = word(j) else { break };
                if is_seat_word(w) {
                    // (A word joined to the seat word is a qualifier: "Pro-Lizenzen".)
                    let between_ok = (i + 1..j).all(|k| {
                        sym(k, '-')
                            || (sym(k + 1, '-') && word(k).is_some_and(|b| b != "per"))
                            || word(k).is_some_and(|b| {
                                !RATE_WORDS.contains(&b)
                                    && !is_other_unit(b)
                                    && !is_currency(&toks[k])
                            })
                    });
                    let year_like = j > i + 1 && (1990..=2100).contains(&n);
                    if between_ok && !year_like {
                        // "2 x 50 users": the product.
                        let times = i
                            .checked_sub(2)
                            .filter(|_| {
                                sym(i - 1, 'x') || sym(i - 1, '×') || word(i - 1) == Some("x")
                            })
                            .and_then(|k| match toks.get(k) {
                                Some(Tok::Num(Some(k))) => Some(*k),
                                _ => None,
                            })
                            .unwrap_or(1);
                        return n.checked_mul(times).and_then(to_count);
                    }
                    break;
                }
                if (RATE_WORDS.contains(&w) || is_other_unit(w)) && (w == "per" || !sym(j + 1, '-'))
                {
                    break;
                }
                j += 1;
            }
            // "40 x Microsoft 365", "40x".
            if (sym(i + 1, 'x') || sym(i + 1, '×') || word(i + 1) == Some("x"))
                && not_other_unit(i + 2)
                && !matches!(toks.get(i + 2), Some(Tok::Num(_)))
            {
                return to_count(n);
            }
        }
        if let Some(w) = word(i) {
            // "x12", "12x".
            if let Some(n) = multiplier_word(w) {
                if not_other_unit(i + 1) {
                    if w.starts_with('x') {
                        return to_count(n);
                    }
                    suffix_multiplier.get_or_insert(to_count(n));
                }
            }
            // "x 10", "× 10".
            // ("2 x 50 users" is read at the 50, as a product.)
            let after_number = i > 0 && matches!(toks[i - 1], Tok::Num(_));
            if w == "x" && !after_number {
                if let Some(n) = plain_number(i + 1) {
                    if not_other_unit(i + 2) && i > 0 {
                        return to_count(n);
                    }
                }
            }
            // "Users: 45", "Qty 120", "Anzahl: 5", "Lizenzen (14)".
            if is_seat_word(w) || QUANTITY_WORDS.contains(&w) {
                let parenthesized = sym(i + 1, '(') && sym(i + 3, ')');
                let j = if sym(i + 1, ':') || sym(i + 1, '=') || parenthesized {
                    i + 2
                } else {
                    i + 1
                };
                let year = |n: u64| parenthesized && (1990..=2100).contains(&n);
                if let Some(n) = plain_number(j).filter(|&n| !year(n)) {
                    if not_other_unit(j + 1) && !is_seat_word(word(j + 1).unwrap_or("")) {
                        return to_count(n);
                    }
                }
            }
        }
        if sym(i, '×') && !(i > 0 && matches!(toks[i - 1], Tok::Num(_))) {
            if let Some(n) = plain_number(i + 1) {
                if not_other_unit(i + 2) {
                    return to_count(n);
                }
            }
        }
    }
    if let Some(n) = suffix_multiplier {
        return n;
    }
    // "Einzellizenz", "single-user licence".
    let single = toks.iter().enumerate().any(|(i, t)| match t {
        Tok::Word(w) if SINGLE_SEAT_WORDS.contains(&w.as_str()) => true,
        Tok::Word(w) if w == "single" => {
            let k = if sym(i + 1, '-') { i + 2 } else { i + 1 };
            word(k).is_some_and(is_seat_word)
        }
        _ => false,
    });
    single.then_some(1)
}

/// Numbers the text attaches to a unit of time ("12 months", "12-month", "12mo", "1 yr").
fn time_counts(toks: &[Tok]) -> Vec<u64> {
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Num(Some(n)) => {
                let j = if toks.get(i + 1) == Some(&Tok::Sym('-')) {
                    i + 2
                } else {
                    i + 1
                };
                if matches!(toks.get(j), Some(Tok::Word(w)) if month_unit(w) || year_unit(w)) {
                    out.push(*n);
                }
            }
            Tok::Word(w) => {
                let digits: String = w.chars().take_while(|c| c.is_ascii_digit()).collect();
                let rest = &w[digits.len()..];
                if !digits.is_empty() && (month_unit(rest) || year_unit(rest)) {
                    out.extend(digits.parse::<u64>().ok());
                }
            }
            _ => {}
        }
    }
    out
}

/// Months a unit of measure counts, when it is a unit of time.
fn time_unit_months(uom: &str) -> Option<u32> {
    let mut w = String::new();
    for c in uom.trim().chars() {
        crate::matching::normalize::fold_char(c, &mut w);
    }
    if month_unit(&w) || matches!(w.as_str(), "mon" | "mnth" | "mt") {
        Some(1)
    } else if year_unit(&w) {
        Some(12)
    } else if matches!(w.as_str(), "qtr" | "quarter" | "quartal") {
        Some(3)
    } else {
        None
    }
}

fn is_seat_unit(uom: &str) -> bool {
    let mut w = String::new();
    for c in uom.trim().chars() {
        crate::matching::normalize::fold_char(c, &mut w);
    }
    matches!(
        w.as_str(),
        "user"
            | "users"
            | "usr"
            | "lic"
            | "licence"
            | "license"
            | "seat"
            | "seats"
            | "benutzer"
            | "nutzer"
            | "lizenz"
            | "util"
            | "utilisateur"
            | "usuario"
            | "utente"
            | "gebruiker"
            | "anvandare"
            | "bruger"
            | "bruker"
            | "agent"
            | "member"
    )
}

fn period_of_months(months: u32) -> Option<Period> {
    match months {
        1 => Some(Period::Monthly),
        3 => Some(Period::Quarterly),
        12 => Some(Period::Annual),
        m if m >= 24 && m % 12 == 0 => Some(Period::MultiYear),
        _ => None,
    }
}

/// The months of the multi-year terms the tokens state ("3YR", "P3Y", "36mo", "36 months",
/// "3-year", "5 Jahre"), when they all agree: 24 to 120, whole years.
fn multi_year_months(toks: &[Tok]) -> Option<u32> {
    let mut found = None;
    for (i, t) in toks.iter().enumerate() {
        let months = match t {
            Tok::Num(Some(n)) => {
                let j = if toks.get(i + 1) == Some(&Tok::Sym('-')) {
                    i + 2
                } else {
                    i + 1
                };
                let n = u32::try_from(*n).ok();
                match toks.get(j) {
                    Some(Tok::Word(u)) if month_unit(u) => n,
                    Some(Tok::Word(u)) if year_unit(u) => n.and_then(|n| n.checked_mul(12)),
                    _ => None,
                }
            }
            Tok::Word(w) => compact_term_months(w),
            Tok::Num(None) | Tok::Sym(_) => None,
        };
        let Some(m) = months.filter(|m| (24..=120).contains(m) && m % 12 == 0) else {
            continue;
        };
        match found {
            Some(f) if f != m => return None,
            _ => found = Some(m),
        }
    }
    found
}

/// A term written as one word: "p3y", "3yr", "3y", "36m", "36mo".
fn compact_term_months(w: &str) -> Option<u32> {
    let w = w.strip_prefix('p').unwrap_or(w);
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let n: u32 = w[..digits].parse().ok()?;
    match &w[digits..] {
        "y" | "yr" | "yrs" => n.checked_mul(12),
        "m" | "mo" | "mos" => Some(n),
        _ => None,
    }
}

/// Words that name how often a charge is billed ("billed monthly").
fn is_billing_word(w: &str) -> bool {
    const STEMS: &[&str] = &[
        "bill",
        "paid",
        "pay",
        "abrechnung",
        "zahlung",
        "bezahl",
        "factur",
        "paiement",
        "pago",
        "cobro",
        "fattura",
        "pagamento",
        "betaal",
        "betaling",
        "fakturer",
        "laskut",
    ];
    STEMS.iter().any(|s| w.starts_with(s))
}

/// A period cue at token `i`: the period and the tokens it spans.
fn period_at(toks: &[Tok], i: usize) -> Option<(Period, usize)> {
    use Period::*;
    let word = |k: usize| match toks.get(k) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    match toks.get(i)? {
        Tok::Num(Some(n))
            if (1990..=2100).contains(n)
                && matches!(toks.get(i + 1), Some(Tok::Sym('-' | '/')))
                && toks.get(i + 2) == Some(&Tok::Num(Some(n + 1))) =>
        {
            // "2026-2027", "2026/2027": a year.
            Some((Annual, 3))
        }
        Tok::Num(Some(n)) => {
            // "12 mo", "1 yr", "3 months", "36 months", "3-year".
            let j = if toks.get(i + 1) == Some(&Tok::Sym('-')) {
                i + 2
            } else {
                i + 1
            };
            let unit = word(j)?;
            let months = if month_unit(unit) {
                u32::try_from(*n).ok()?
            } else if year_unit(unit) {
                u32::try_from(*n).ok()?.checked_mul(12)?
            } else {
                return None;
            };
            period_of_months(months).map(|p| (p, j + 1 - i))
        }
        Tok::Word(w) => {
            let w = w.as_str();
            let single = match w {
                "monthly" | "monatlich" | "monatsabo" | "monatslizenz" | "mensuel"
                | "mensuelle" | "mensual" | "mensuales" | "mensile" | "mensili" | "maandelijks"
                | "maandabonnement" | "manad" | "manadsvis" | "manatlig" | "manadsabonnemang"
                | "maned" | "manedlig" | "manedlige" | "manedsabonnement" | "kuukausittain"
                | "kuukausi" | "p1m" | "1mo" | "1month" => Some(Monthly),
                "quarterly" | "quarter" | "qtr" | "quartal" | "quartalsweise"
                | "vierteljahrlich" | "trimestriel" | "trimestrielle" | "trimestre"
                | "trimestral" | "trimestrale" | "kwartaal" | "kwartaallijks" | "kvartal"
                | "kvartalsvis" | "q1" | "q2" | "q3" | "q4" | "p3m" | "3mo" => Some(Quarterly),
                "annual" | "annually" | "yearly" | "annum" | "jahrlich" | "jahreslizenz"
                | "jahresabo" | "jahresabonnement" | "jahresgebuhr" | "jahresvertrag"
                | "annuel" | "annuelle" | "annuels" | "anual" | "anuales" | "annuale"
                | "annuali" | "jaarlijks" | "jaarabonnement" | "jaarlicentie" | "jaarlicenties"
                | "arlig" | "arligt" | "arlige" | "arsvis" | "arsabonnement" | "arsavgift"
                | "arslicens" | "arsabonnemang" | "arsprenumeration" | "vuosittain"
                | "vuosilisenssi" | "vuositilaus" | "p1y" | "1yr" | "1y" | "12m" | "12mo"
                | "12mos" | "12mnd" | "12man" | "12months" | "12mths" | "1year" => Some(Annual),
                "mehrjahrig" | "pluriannuel" | "plurianual" | "pluriennale" | "meerjarig"
                | "flerarig" | "p2y" | "p3y" | "p4y" | "p5y" | "2yr" | "3yr" | "4yr" | "5yr"
                | "2y" | "3y" | "5y" | "24m" | "36m" | "36mo" | "24mo" => Some(MultiYear),
                _ => None,
            };
            if let Some(p) = single {
                // "T4 2026" style quarters need the year after them; q1-q4 do not.
                return Some((p, 1));
            }
            // Dutch "maand" as the period ("abonnement – maand"), not "maand oktober" (a month
            // named) nor "12 maand" (read at the number).
            if w == "maand" {
                let named = match toks.get(i + 1) {
                    Some(Tok::Word(n)) => month_of(n).is_some(),
                    Some(Tok::Num(_)) => true,
                    _ => false,
                };
                return (!named).then_some((Monthly, 1));
            }
            // A term of two or three years in a word ("triennale", "driejarige", "bienal").
            const MULTI_YEAR_STEMS: &[&str] = &[
                "trienn",
                "bienn",
                "trienal",
                "bienal",
                "dreijahrig",
                "zweijahrig",
                "driejarig",
                "tweejarig",
                "trearig",
                "toarig",
            ];
            if MULTI_YEAR_STEMS.iter().any(|s| w.starts_with(s)) {
                return Some((MultiYear, 1));
            }
            // Inflected and compound forms ("jährliche", "jaarlijkse", "kvartalsbetalning",
            // "kuukausimaksu", "månadsavgift", "årsavtale").
            const STEMS: &[(&str, Period)] = &[
                ("monatlich", Monthly),
                ("maandelijks", Monthly),
                ("manads", Monthly),
                ("maneds", Monthly),
                ("kuukausi", Monthly),
                ("mensualidad", Monthly),
                ("vierteljahrlich", Quarterly),
                ("quartals", Quarterly),
                ("kvartals", Quarterly),
                ("kwartaal", Quarterly),
                ("neljannesvuosi", Quarterly),
                ("jahrlich", Annual),
                ("jaarlijks", Annual),
                ("arsavtal", Annual),
                ("arsavgift", Annual),
                ("arsabonnement", Annual),
                ("anualidad", Annual),
                ("vuosimaksu", Annual),
                ("vuosilaskutus", Annual),
            ];
            // (Most words start with another letter: one comparison for them.)
            if matches!(
                w.as_bytes().first(),
                Some(b'm' | b'k' | b'v' | b'q' | b'n' | b'j' | b'a')
            ) {
                if let Some((_, p)) = STEMS.iter().find(|(stem, _)| w.starts_with(stem)) {
                    return Some((*p, 1));
                }
            }
            // "p.a.": per annum.
            if w == "p"
                && toks.get(i + 1) == Some(&Tok::Sym('.'))
                && matches!(toks.get(i + 2), Some(Tok::Word(a)) if a == "a")
            {
                return Some((Annual, 3));
            }
            if matches!(w, "t1" | "t2" | "t3" | "t4")
                && matches!(toks.get(i + 1), Some(Tok::Num(Some(1990..=2100))))
            {
                return Some((Quarterly, 1));
            }
            // "per month", "/year", "pro Jahr", "par an", "al mese", "per år".
            let rate = matches!(w, "per" | "pro" | "par" | "por" | "al" | "all" | "a" | "je");
            if rate {
                let unit = word(i + 1)?;
                if month_unit(unit) && unit != "m" {
                    return Some((Monthly, 2));
                }
                if year_unit(unit) && unit != "y" && unit != "an" || (unit == "an" && w == "par") {
                    return Some((Annual, 2));
                }
            }
            None
        }
        Tok::Sym('/') => {
            // ("t/m" is Dutch for "up to and including", not "per month".)
            let unit = word(i + 1).filter(|u| *u != "m")?;
            if month_unit(unit) {
                Some((Monthly, 2))
            } else if year_unit(unit) {
                Some((Annual, 2))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Words that make a period the length of a commitment, not what one charge covers ("annual
/// commitment", "Laufzeit 12 Monate").
fn is_term_word(w: &str) -> bool {
    const STEMS: &[&str] = &[
        "commit",
        "term",
        "contract",
        "laufzeit",
        "vertrag",
        "mindestlaufzeit",
        "engagement",
        "duree",
        "compromiso",
        "permanencia",
        "impegno",
        "durata",
        "looptijd",
        "contractduur",
        "bindingstid",
        "avtalstid",
        "sitoumus",
    ];
    STEMS.iter().any(|s| w.starts_with(s))
}

fn period_of(toks: &[Tok], text: &str) -> Option<Period> {
    let mut found: Vec<(Period, bool)> = Vec::new();
    let mut terms: Vec<Period> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some((p, len)) = period_at(toks, i) {
            let near = |k: Option<usize>| {
                k.and_then(|k| toks.get(k))
                    .is_some_and(|t| matches!(t, Tok::Word(w) if is_billing_word(w)))
            };
            let billed = near(i.checked_sub(1)) || near(Some(i + len));
            let term_near = |k: Option<usize>| {
                k.and_then(|k| toks.get(k))
                    .is_some_and(|t| matches!(t, Tok::Word(w) if is_term_word(w)))
            };
            if !billed && (term_near(i.checked_sub(1)) || term_near(Some(i + len))) {
                terms.push(p);
            } else {
                found.push((p, billed));
            }
            i += len;
        } else {
            i += 1;
        }
    }
    if let Some((p, _)) = found.iter().find(|(_, billed)| *billed) {
        return Some(*p);
    }
    // A commitment's length says the period only when nothing else does.
    found
        .iter()
        .map(|(p, _)| *p)
        .max()
        .or_else(|| terms.iter().copied().max())
        .or_else(|| date_range_period(text))
        .or_else(|| month_range_period(text))
        .or_else(|| named_date_range_period(toks))
        .or_else(|| renewal_year_period(toks))
}

/// A renewal that names the year it renews for ("renewal 2027", "renewal FY27", "rinnovo
/// 2027") is a year's charge, when the line says nothing else of its period.
fn renewal_year_period(toks: &[Tok]) -> Option<Period> {
    let renewal = toks.iter().any(|t| {
        matches!(t, Tok::Word(w) if matches!(w.as_bytes().first(), Some(b'r' | b'v' | b'f'))
            && ["renew", "renouvel", "verlanger", "rinnov", "renova", "verleng", "fornyel", "fornya"]
                .iter()
                .any(|s| w.starts_with(s)))
    });
    let year = toks.iter().any(|t| match t {
        Tok::Num(Some(n)) => (2000..=2100).contains(n),
        Tok::Word(w) => w.strip_prefix("fy").is_some_and(|d| {
            (d.len() == 2 || d.len() == 4) && d.bytes().all(|b| b.is_ascii_digit())
        }),
        _ => false,
    });
    (renewal && year).then_some(Period::Annual)
}

/// The month a word names, in the languages of the module docs (full names and the usual
/// abbreviations).
fn month_of(w: &str) -> Option<u8> {
    const MONTHS: [&[&str]; 12] = [
        &[
            "january",
            "jan",
            "januar",
            "janner",
            "janvier",
            "janv",
            "enero",
            "ene",
            "gennaio",
            "gen",
            "januari",
            "tammikuu",
            "tammikuuta",
        ],
        &[
            "february",
            "feb",
            "februar",
            "fevrier",
            "fevr",
            "febrero",
            "febbraio",
            "februari",
            "helmikuu",
            "helmikuuta",
        ],
        &[
            "march",
            "mar",
            "marz",
            "mars",
            "marzo",
            "maart",
            "mrt",
            "marts",
            "maaliskuu",
            "maaliskuuta",
        ],
        &[
            "april",
            "apr",
            "avril",
            "avr",
            "abril",
            "abr",
            "aprile",
            "huhtikuu",
            "huhtikuuta",
        ],
        &[
            "may",
            "mai",
            "mayo",
            "maggio",
            "mag",
            "mei",
            "maj",
            "toukokuu",
            "toukokuuta",
        ],
        &[
            "june",
            "jun",
            "juni",
            "juin",
            "junio",
            "giugno",
            "giu",
            "kesakuu",
            "kesakuuta",
        ],
        &[
            "july",
            "jul",
            "juli",
            "juillet",
            "juil",
            "julio",
            "luglio",
            "lug",
            "heinakuu",
            "heinakuuta",
        ],
        &[
            "august", "aug", "aout", "agosto", "ago", "augustus", "augusti", "elokuu", "elokuuta",
        ],
        &[
            "september",
            "sep",
            "sept",
            "septembre",
            "septiembre",
            "setiembre",
            "settembre",
            "set",
            "syyskuu",
            "syyskuuta",
        ],
        &[
            "october",
            "oct",
            "oktober",
            "okt",
            "octobre",
            "octubre",
            "ottobre",
            "ott",
            "lokakuu",
            "lokakuuta",
        ],
        &[
            "november",
            "nov",
            "novembre",
            "noviembre",
            "marraskuu",
            "marraskuuta",
        ],
        &[
            "december",
            "dec",
            "dezember",
            "dez",
            "decembre",
            "diciembre",
            "dic",
            "dicembre",
            "joulukuu",
            "joulukuuta",
        ],
    ];
    MONTHS
        .iter()
        .position(|names| names.contains(&w))
        .map(|m| m as u8 + 1)
}

/// Dates with a month name and a year ("1 Dec 2026", "Dec 1, 2026", "1. Dezember 2026",
/// "Nov 2026"), in order; the day is `None` when not written.
fn named_dates(toks: &[Tok]) -> Vec<(i32, u8, Option<u8>)> {
    let num = |i: usize| match toks.get(i) {
        Some(Tok::Num(Some(n))) => Some(*n),
        _ => None,
    };
    let skip_mark = |i: usize| {
        if matches!(toks.get(i), Some(Tok::Sym('.' | ','))) {
            i + 1
        } else {
            i
        }
    };
    let year_at = |i: usize| {
        num(i)
            .filter(|y| (1990..=2100).contains(y))
            .map(|y| y as i32)
    };
    let day = |n: u64| u8::try_from(n).ok().filter(|d| (1..=31).contains(d));
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let Some(Tok::Word(w)) = toks.get(i) else {
            i += 1;
            continue;
        };
        let Some(month) = month_of(w) else {
            i += 1;
            continue;
        };
        // The day before the month ("1 Dec", "1. Dezember").
        let day_before = i
            .checked_sub(1)
            .and_then(|b| {
                if toks[b] == Tok::Sym('.') {
                    b.checked_sub(1)
                } else {
                    Some(b)
                }
            })
            .and_then(num)
            .and_then(day);
        let after = skip_mark(i + 1);
        if let Some(y) = year_at(after) {
            out.push((y, month, day_before));
            i = after + 1;
            continue;
        }
        // "Dec 1, 2026".
        if let (Some(d), Some(y)) = (num(after).and_then(day), year_at(skip_mark(after + 1))) {
            out.push((y, month, Some(d)));
            i = skip_mark(after + 1) + 1;
            continue;
        }
        i += 1;
    }
    out
}

fn named_date_range_period(toks: &[Tok]) -> Option<Period> {
    let dates = named_dates(toks);
    let [(y1, m1, d1), (y2, m2, d2)] = dates.as_slice() else {
        return None;
    };
    let start = crate::date::Date::new(*y1, *m1, d1.unwrap_or(1))?;
    let end_day = d2.unwrap_or_else(|| crate::date::days_in_month(*y2, *m2));
    let end = crate::date::Date::new(*y2, *m2, end_day)?;
    span_period(start, end)
}

/// The period from `start` to `end`, both included.
fn span_period(start: crate::date::Date, end: crate::date::Date) -> Option<Period> {
    match end.to_days() - start.to_days() + 1 {
        28..=31 => Some(Period::Monthly),
        89..=92 => Some(Period::Quarterly),
        365..=366 => Some(Period::Annual),
        d if d >= 730 => Some(Period::MultiYear),
        _ => None,
    }
}

/// The period of a date range in the text ("01/12/2026-30/11/2027", "2026-12-01 – 2027-11-30").
fn date_range_period(text: &str) -> Option<Period> {
    let dates = dates_in(text);
    let [a, b] = dates.as_slice() else {
        return None;
    };
    span_period(*a, *b)
}

/// The period of a range of months written m/yyyy or m.yyyy ("03/2027 - 02/2028": a year;
/// "01/2027-03/2027": a quarter): the text holds exactly two such months, the second later,
/// and no whole date.
fn month_range_period(text: &str) -> Option<Period> {
    let b = text.as_bytes();
    let mut months = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if !matches!(b.get(j), Some(b'/' | b'.')) {
            i = j;
            continue;
        }
        let month_digits = j - i;
        let year_at = j + 1;
        let mut k = year_at;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        let ends = b.get(k).map_or(true, |&c| {
            !(c.is_ascii_alphanumeric() || matches!(c, b'/' | b'.'))
        });
        if (1..=2).contains(&month_digits) && k - year_at == 4 && ends {
            let m: u32 = text[i..j].parse().ok()?;
            let y: u32 = text[year_at..k].parse().ok()?;
            if (1..=12).contains(&m) && (1990..=2100).contains(&y) {
                months.push(y * 12 + m - 1);
            }
        }
        i = k.max(i + 1);
    }
    match months.as_slice() {
        [a, b] if b > a => period_of_months(b - a + 1),
        _ => None,
    }
}

/// Dates written d/m/y, d.m.y, d-m-y or y-m-d.
fn dates_in(text: &str) -> Vec<crate::date::Date> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let mut parts: Vec<u32> = Vec::new();
        let mut lens = Vec::new();
        let mut j = i;
        let mut sep = None;
        loop {
            let s = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j == s || j - s > 4 {
                break;
            }
            parts.push(text[s..j].parse().unwrap_or(0));
            lens.push(j - s);
            if parts.len() == 3 {
                break;
            }
            match b.get(j) {
                Some(&c @ (b'/' | b'.' | b'-')) if sep.map_or(true, |p| p == c) => {
                    sep = Some(c);
                    j += 1;
                }
                _ => break,
            }
        }
        if parts.len() == 3 {
            let date = if lens[0] == 4 {
                crate::date::Date::new(parts[0] as i32, parts[1] as u8, parts[2] as u8)
            } else if lens[2] == 4 {
                crate::date::Date::new(parts[2] as i32, parts[1] as u8, parts[0] as u8)
            } else {
                None
            };
            if let Some(d) = date {
                out.push(d);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_reads_a_text_once_and_weighs_each_line_figures() {
        let lines = [
            (
                "Microsoft 365 E3 annual 25 users",
                None,
                None,
                None,
                "900.00",
            ),
            (
                "Microsoft 365 E3 annual 25 users",
                None,
                Some("10"),
                Some("90.00"),
                "900.00",
            ),
            (
                "Microsoft 365 E3 annual 25 users",
                None,
                Some("12"),
                None,
                "120.00",
            ),
            (
                "Microsoft 365 E3",
                Some("3-year term, 10 users"),
                None,
                None,
                "3000.00",
            ),
            (
                "Microsoft 365 E3",
                Some("monthly"),
                Some("12"),
                None,
                "-60.00",
            ),
            ("Microsoft 365 E3", None, Some("12"), Some("5.00"), "60.00"),
        ];
        let figures: Vec<LineFigures> = lines
            .iter()
            .map(|&(d, d2, q, uc, net)| LineFigures {
                description: d,
                description2: d2,
                quantity: q.map(amt),
                unit_cost: uc.map(amt),
                unit_of_measure: None,
                net_amount: amt(net),
            })
            .collect();
        let mut memo = TermsMemo::default();
        for f in figures.iter().chain(figures.iter().rev()) {
            assert_eq!(memo.terms(f), terms(f), "{f:?}");
        }
        assert_eq!(memo.texts.len(), 4, "one reading per distinct text");
    }

    fn amt(s: &str) -> Amount {
        Amount::parse_decimal(s).unwrap()
    }

    fn text(description: &str, net: &str) -> Terms {
        terms(&LineFigures {
            description,
            net_amount: amt(net),
            ..Default::default()
        })
    }

    fn seats(description: &str) -> Option<u32> {
        text(description, "100").seats
    }

    fn period(description: &str) -> Option<Period> {
        text(description, "100").period
    }

    #[test]
    fn a_multi_year_term_says_its_months_when_the_line_does() {
        let months = |d: &str| {
            let t = text(d, "100");
            (t.period, t.term_months)
        };
        let multi = |m| (Some(Period::MultiYear), m);
        assert_eq!(months("Veeam 3YR subscription"), multi(Some(36)));
        assert_eq!(months("36 months term"), multi(Some(36)));
        assert_eq!(months("Sophos Central P3Y"), multi(Some(36)));
        assert_eq!(months("Veeam Backup 5-year licence"), multi(Some(60)));
        assert_eq!(months("Acronis 24mo"), multi(Some(24)));
        assert_eq!(months("Wartung 2 Jahre"), multi(Some(24)));
        assert_eq!(months("Veeam 3YR, 36 months"), multi(Some(36)));
        // Stated without its length, or two lengths: the period only.
        assert_eq!(months("Wartungsvertrag mehrjährig"), multi(None));
        assert_eq!(months("Veeam 3YR, 24 months"), multi(None));
        // A term billed yearly is annual: no multi-year months.
        assert_eq!(
            months("Microsoft 365 E3 3 year agreement billed annually"),
            (Some(Period::Annual), None)
        );
        assert_eq!(months("Slack Pro monthly"), (Some(Period::Monthly), None));
        // From a unit of measure of time: 36 x MONTH.
        let t = terms(&LineFigures {
            description: "Veeam Backup maintenance",
            quantity: Some(amt("36")),
            unit_of_measure: Some("MONTH"),
            net_amount: amt("1800"),
            ..Default::default()
        });
        assert_eq!((t.period, t.term_months), multi(Some(36)));
    }

    #[test]
    fn bc_quantity_and_unit_cost_of_a_per_seat_line() {
        let t = terms(&LineFigures {
            description: "Microsoft 365 E3",
            quantity: Some(amt("25")),
            unit_cost: Some(amt("33.75")),
            unit_of_measure: Some("PCS"),
            net_amount: amt("843.75"),
            ..Default::default()
        });
        assert_eq!(t.seats, Some(25));
        assert_eq!(t.unit_price, Some(amt("33.75")));
        // BC wins over the text; a unit cost of five decimals rounded to the cent by BC.
        let t = terms(&LineFigures {
            description: "Licences 10 users",
            quantity: Some(amt("3")),
            unit_cost: Some(amt("0.3333")),
            net_amount: amt("1.00"),
            ..Default::default()
        });
        assert_eq!((t.seats, t.unit_price), (Some(3), Some(amt("0.3333"))));
    }

    #[test]
    fn quantity_that_is_not_per_seat_gives_way_to_the_text() {
        // One line for the lot: quantity 1.
        let t = terms(&LineFigures {
            description: "Slack Pro - 45 users - Nov 2026",
            quantity: Some(amt("1")),
            unit_cost: Some(amt("393.75")),
            net_amount: amt("393.75"),
            ..Default::default()
        });
        assert_eq!((t.seats, t.unit_price), (Some(45), Some(amt("8.75"))));
        // A unit of time counts months, not seats; it also says the period.
        let t = terms(&LineFigures {
            description: "Zendesk Suite Team",
            quantity: Some(amt("12")),
            unit_cost: Some(amt("55")),
            unit_of_measure: Some("MONTH"),
            net_amount: amt("660"),
            ..Default::default()
        });
        assert_eq!(
            (t.seats, t.unit_price, t.period),
            (None, None, Some(Period::Annual))
        );
        // A line discount: quantity × unit cost is not the net amount, no seat unit.
        let t = terms(&LineFigures {
            description: "Figma Professional",
            quantity: Some(amt("10")),
            unit_cost: Some(amt("15")),
            net_amount: amt("135"),
            ..Default::default()
        });
        assert_eq!((t.seats, t.unit_price), (None, None));
        // ... with a seat unit: the quantity is the seats, the price what was paid per seat.
        let t = terms(&LineFigures {
            description: "Figma Professional",
            quantity: Some(amt("10")),
            unit_cost: Some(amt("15")),
            unit_of_measure: Some("USER"),
            net_amount: amt("135"),
            ..Default::default()
        });
        assert_eq!((t.seats, t.unit_price), (Some(10), Some(amt("13.5"))));
    }

    #[test]
    fn a_quantity_that_the_text_says_is_months_is_not_seats() {
        let t = terms(&LineFigures {
            description: "Zoom Workplace Pro 12 months",
            quantity: Some(amt("12")),
            unit_cost: Some(amt("14.99")),
            unit_of_measure: Some("PCS"),
            net_amount: amt("179.88"),
            ..Default::default()
        });
        assert_eq!(
            (t.seats, t.unit_price, t.period),
            (None, None, Some(Period::Annual))
        );
        // The same quantity as seats, with the months stated apart.
        let t = terms(&LineFigures {
            description: "Zoom Workplace Pro 12 months",
            quantity: Some(amt("5")),
            unit_cost: Some(amt("149.9")),
            net_amount: amt("749.5"),
            ..Default::default()
        });
        assert_eq!((t.seats, t.period), (Some(5), Some(Period::Annual)));
    }

    #[test]
    fn english_seat_counts() {
        assert_eq!(seats("Slack Pro - 45 users - Nov 2026"), Some(45));
        assert_eq!(seats("Adobe Acrobat Pro for teams x 10"), Some(10));
        assert_eq!(seats("Microsoft 365 Business Premium x12"), Some(12));
        assert_eq!(seats("40x Microsoft 365 E3"), Some(40));
        assert_eq!(seats("Notion Plus, 10 seats"), Some(10));
        assert_eq!(seats("Zoom Workplace Pro 25 licensed users"), Some(25));
        assert_eq!(seats("Jira Software Cloud 1,200 users annual"), Some(1200));
        assert_eq!(seats("Qty 120 Slack Business+"), Some(120));
        assert_eq!(seats("Seats: 15 - Miro Business"), Some(15));
        assert_eq!(seats("Zendesk Suite Growth - 8 agents"), Some(8));
        assert_eq!(seats("Rippling HR - 32 employees"), Some(32));
        assert_eq!(seats("Teams Rooms Pro × 4 rooms"), Some(4));
        assert_eq!(seats("GitHub Enterprise Cloud 2 x 50 users"), Some(100));
        assert_eq!(seats("Zoom Workplace Business 20 hosts"), Some(20));
    }

    #[test]
    fn counts_that_are_not_seats() {
        assert_eq!(seats("Mailchimp Standard 10,000 contacts"), None);
        assert_eq!(seats("OpenAI API usage 12,500,000 tokens"), None);
        assert_eq!(seats("Gusto Plus up to 50 employees"), None);
        assert_eq!(seats("BambooHR Pro 51-75 employees"), None);
        assert_eq!(seats("Slack Pro €8.75/user/month"), None);
        assert_eq!(seats("Notion 12 per user monthly"), None);
        assert_eq!(seats("Notion 12 per-user monthly"), None);
        assert_eq!(seats("Datadog Infrastructure x12 months"), None);
        assert_eq!(seats("Dropbox 2 TB storage"), None);
        assert_eq!(seats("Datadog Infrastructure Pro 40 hosts"), None);
        assert_eq!(seats("New Relic APM 12 hosts annual"), None);
        assert_eq!(seats("Slack Pro 2026 renewal"), None);
        assert_eq!(seats("Licence fee 12,50 per user"), None);
        assert_eq!(seats("Microsoft 365 E3 - 01/12/2026 users"), None);
        assert_eq!(seats("Canva Teams fino a 10 utenti"), None);
        assert_eq!(seats("Personio bis zu 100 Mitarbeiter"), None);
        assert_eq!(seats("Lucca jusqu'à 50 salariés"), None);
        assert_eq!(seats("Moneybird tot 5 gebruikers"), None);
        assert_eq!(seats("Fortnox upp till 10 användare"), None);
        // "to" alone is not a cap.
        assert_eq!(seats("Upgrade to 25 users"), Some(25));
    }

    #[test]
    fn german_seat_counts() {
        assert_eq!(
            seats("Microsoft 365 E3 NCE Jahresabo 25 Benutzer"),
            Some(25)
        );
        assert_eq!(seats("Personio Core 45 Mitarbeiter monatlich"), Some(45));
        assert_eq!(seats("Atlassian Confluence 1.200 Benutzer"), Some(1200));
        assert_eq!(seats("DATEV Unternehmen online 5 Lizenzen"), Some(5));
        assert_eq!(seats("Anzahl: 7 - TeamViewer Business"), Some(7));
        assert_eq!(seats("Adobe Creative Cloud 3 Plätze"), Some(3));
    }

    #[test]
    fn french_spanish_italian_seat_counts() {
        assert_eq!(seats("Abonnement Sage 100 - 5 postes"), Some(5));
        assert_eq!(seats("PayFit abonnement 32 salariés"), Some(32));
        assert_eq!(
            seats("Microsoft 365 Business Standard 40 licences"),
            Some(40)
        );
        assert_eq!(seats("Lucca 18 utilisateurs mensuel"), Some(18));
        assert_eq!(seats("Holded suscripción 6 usuarios"), Some(6));
        assert_eq!(seats("Factorial 60 empleados anual"), Some(60));
        assert_eq!(seats("Zoom licencias 15 puestos"), Some(15));
        assert_eq!(seats("TeamSystem abbonamento 12 utenti"), Some(12));
        assert_eq!(seats("Zucchetti HR 22 dipendenti"), Some(22));
        assert_eq!(seats("Fatture in Cloud 20 postazioni"), Some(20));
    }

    #[test]
    fn dutch_and_nordic_seat_counts() {
        assert_eq!(seats("Exact Online abonnement 10 gebruikers"), Some(10));
        assert_eq!(seats("AFAS Profit 8 licenties jaarlijks"), Some(8));
        assert_eq!(seats("Fortnox 8 användare månad"), Some(8));
        assert_eq!(seats("e-conomic 4 brugere"), Some(4));
        assert_eq!(seats("Tripletex 80 ansatte årlig"), Some(80));
        assert_eq!(seats("Visma Lønn 35 medarbejdere"), Some(35));
        assert_eq!(seats("Netvisor 5 käyttäjää"), Some(5));
        assert_eq!(seats("Fortnox 1\u{a0}200 användare"), Some(1200));
        // A plain space as thousands separator, before a seat word only.
        assert_eq!(seats("Slack Pro - 1 200 utilisateurs"), Some(1200));
        assert_eq!(seats("Microsoft 365 E3 1 200 användare"), Some(1200));
        assert_eq!(seats("Sage 100 200 postes"), Some(200));
    }

    #[test]
    fn periods_in_every_language() {
        use Period::*;
        for (d, want) in [
            ("Slack Pro monthly", Monthly),
            ("Microsoft 365 E3 NCE annual", Annual),
            ("Zoom Pro 12 mo", Annual),
            ("Miro Business 1 yr", Annual),
            ("M365 Business Basic P1Y", Annual),
            ("HubSpot Starter 12M", Annual),
            (
                "Slack Business+ annual subscription 01/12/2026-30/11/2027",
                Annual,
            ),
            ("Jira renewal 2026-12-01 - 2027-11-30", Annual),
            ("M365 E3 annual plan billed monthly", Monthly),
            ("NCE P1Y monthly billing", Monthly),
            ("Adobe CC Jahresabo", Annual),
            ("Personio monatlich", Monthly),
            ("Lizenz jährlich", Annual),
            ("abonnement annuel", Annual),
            ("abonnement mensuel", Monthly),
            ("suscripción anual", Annual),
            ("suscripción mensual", Monthly),
            ("abbonamento annuale", Annual),
            ("canone mensile", Monthly),
            ("jaarabonnement", Annual),
            ("maandelijks", Monthly),
            ("8 användare månad", Monthly),
            ("årsabonnement", Annual),
            ("månedlig", Monthly),
            ("12 mnd", Annual),
            ("quarterly fee", Quarterly),
            ("Q3 2026 licence", Quarterly),
            ("Quartal 4/2026", Quarterly),
            ("redevance trimestrielle", Quarterly),
            ("kwartaal", Quarterly),
            ("Veeam 3YR subscription", MultiYear),
            ("36 months term", MultiYear),
            ("Slack per user per month", Monthly),
            ("Zoom Pro monthly subscription, annual commitment", Monthly),
            ("Teams Premium monatlich, Laufzeit 12 Monate", Monthly),
            ("Microsoft 365 E3 NCE 1 year term", Annual),
            ("Dynamics 365 mensuel - engagement annuel", Monthly),
            ("Zoom Pro 1 Dec 2026 - 30 Nov 2027", Annual),
            ("Atlassian renewal Dec 1, 2026 – Nov 30, 2027", Annual),
            ("Miro Business Nov 2026 - Oct 2027", Annual),
            (
                "Jira Zeitraum 1. Dezember 2026 bis 30. November 2027",
                Annual,
            ),
            ("Slack période du 1 janvier 2027 au 31 mars 2027", Quarterly),
            ("Notion periodo 1 febbraio 2027 - 28 febbraio 2027", Monthly),
            ("Asana 1 januari 2027 t/m 31 december 2027", Annual),
            ("Fortnox period 1 jan 2027 - 31 dec 2027", Annual),
            ("Figma 12-month term", Annual),
            ("Licence 1-yr", Annual),
            ("Adobe licence 50 EUR p.a.", Annual),
        ] {
            assert_eq!(period(d), Some(want), "{d}");
        }
        for d in ["Slack Pro - Nov 2026", "Monday CRM Pro", "Invoice 2026-11"] {
            assert_eq!(period(d), None, "{d}");
        }
    }

    #[test]
    fn people_rooms_compounds_single_licences_and_inflected_periods() {
        assert_eq!(seats("Miro Business - 25 people - monthly"), Some(25));
        assert_eq!(seats("Dropbox Sign Standard - 5 senders"), Some(5));
        assert_eq!(seats("Zoom Rooms - 4 salles - annuel"), Some(4));
        assert_eq!(seats("Zoom Rooms - 2 mötesrum"), Some(2));
        assert_eq!(seats("Workfront - 50 Standard-Lizenzen"), Some(50));
        assert_eq!(seats("Slack Pro - 10 Pro-Lizenzen"), Some(10));
        assert_eq!(seats("TeamViewer Einzellizenz jährlich"), Some(1));
        assert_eq!(seats("Claude Max 20x - 1 user - monthly"), Some(1));
        assert_eq!(seats("Slack Pro x12 - monthly"), Some(12));
        assert_eq!(
            period("30 Benutzer - jährliche Zahlung"),
            Some(Period::Annual)
        );
        assert_eq!(period("jaarlijkse betaling"), Some(Period::Annual));
        assert_eq!(period("Bokio - kvartalsbetalning"), Some(Period::Quarterly));
        assert_eq!(period("kuukausimaksu"), Some(Period::Monthly));
        assert_eq!(period("Asana licence 2026-2027"), Some(Period::Annual));
        assert_eq!(period("invoice 2026-11"), None);
        assert_eq!(period("Jira Software renewal 2027"), Some(Period::Annual));
        assert_eq!(period("Miro Enterprise renewal FY28"), Some(Period::Annual));
        assert_eq!(period("Jira renewal"), None);
        assert_eq!(period("Jira renewal 2027 - monthly"), Some(Period::Monthly));
    }

    #[test]
    fn parenthesized_counts_compounds_phone_lines_members_and_month_ranges() {
        assert_eq!(
            seats("Asana Business – Lizenzen (14) – monatlich"),
            Some(14)
        );
        assert_eq!(seats("Dropbox users (25)"), Some(25));
        assert_eq!(seats("Notion licences (2027)"), None);
        assert_eq!(seats("Notion licences (2026/27)"), None);
        assert_eq!(seats("Miro – 12 Standardlizenzen"), Some(12));
        assert_eq!(seats("monday.com – 10 basislicenties"), Some(10));
        assert_eq!(seats("Tripletex – 4 fullbrukere"), Some(4));
        assert_eq!(seats("e-conomic – 3 forbrugere"), None);
        assert_eq!(seats("2 Parkplätze Tiefgarage"), None);
        assert_eq!(seats("HubSpot – 2.000 Marketingkontakte"), None);
        assert_eq!(seats("RingEX Core - 18 lines - monthly"), Some(18));
        assert_eq!(seats("Webex Calling – 60 lignes Professional"), Some(60));
        assert_eq!(seats("Aircall – 6 líneas"), Some(6));
        assert_eq!(seats("Datadog Logs - 15 million log lines"), None);
        assert_eq!(seats("Notion Plus – 9 Mitglieder"), Some(9));
        assert_eq!(seats("Slack Pro – 14 medlemmar"), Some(14));
        assert_eq!(seats("Canva Teams – 5 medlemmer"), Some(5));
        assert_eq!(period("Adobe Acrobat Pro – 12 mdr"), Some(Period::Annual));
        assert_eq!(period("Dropbox – 1 mdr."), Some(Period::Monthly));
        assert_eq!(
            period("Exact Online – abonnement – maand"),
            Some(Period::Monthly)
        );
        assert_eq!(period("Moneybird – maand oktober 2026"), None);
        assert_eq!(period("ESET – licenza triennale"), Some(Period::MultiYear));
        assert_eq!(
            period("Sophos – driejarige licentie"),
            Some(Period::MultiYear)
        );
        assert_eq!(
            period("HubSpot – Zeitraum 03/2027 - 02/2028"),
            Some(Period::Annual)
        );
        assert_eq!(
            period("Qonto – période 01/2027-03/2027"),
            Some(Period::Quarterly)
        );
        assert_eq!(period("Rechnung 11/2026, Leistung 11/2026"), None);
        assert_eq!(period("Lizenz A1/2027 - B12/2027"), None);
        // Text ending inside a number never panics.
        for t in ["12/", "3.", "1/2027", "01/2027-", "x 1.", "12/2026-1", "9"] {
            let _ = text(t, "10");
        }
    }

    #[test]
    fn price_per_seat_is_the_quotient_rounded_half_to_even() {
        assert_eq!(price_per_seat(amt("100"), 3), Some(amt("33.3333")));
        assert_eq!(price_per_seat(amt("200"), 3), Some(amt("66.6667")));
        // 0.00005 exactly: to the even neighbour.
        assert_eq!(price_per_seat(Amount(1), 2), Some(Amount(0)));
        assert_eq!(price_per_seat(Amount(3), 2), Some(Amount(2)));
        assert_eq!(price_per_seat(amt("10"), 0), None);
        assert_eq!(price_per_seat(amt("-10"), 2), None);
        assert_eq!(
            text("Notion Plus 3 seats", "100").unit_price,
            Some(amt("33.3333"))
        );
    }
}
