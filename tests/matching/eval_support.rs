//! Shared by `tests/matching_eval.rs` and `examples/match_eval.rs`: loads the labelled cases and
//! scores the matcher on them.
#![allow(dead_code)]

use bc_spend::bc::LineType;
use bc_spend::matching::{Decision, LineInfo, Matcher, VendorInfo};
use bc_spend::money::Amount;
use bc_spend::transactions::seats::{self, LineFigures, Terms};
use bc_spend::transactions::{allocation, LineMode};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub kind: String,
    pub vendor: String,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub description: String,
    pub expected: Option<String>,
    /// Every outcome that counts as correct, `expected` included, where the issue allows either.
    #[serde(default)]
    pub accept: Option<Vec<Option<String>>>,
    #[serde(default)]
    pub note: Option<String>,
    /// The description's language (`en`, `de` ...), where the set labels it (holdout v2).
    #[serde(default)]
    pub lang: Option<String>,
    /// The allocation rule a case tests, where the set labels it (holdout v2).
    #[serde(default)]
    pub rule: Option<String>,
    /// Cases that share `invoice` are the lines of one invoice, in `sequence` order: they are
    /// matched together in line mode, with the allocation rules applied.
    #[serde(default)]
    pub invoice: Option<String>,
    #[serde(default)]
    pub sequence: Option<i64>,
    /// BC `lineType` (`Item`, `Account`, `Charge`, `Comment`); `Item` when absent.
    #[serde(default, rename = "lineType")]
    pub line_type: Option<String>,
    /// BC `netAmount`, as a JSON number.
    #[serde(default, rename = "netAmount")]
    pub net_amount: Option<serde_json::Number>,
    /// BC `quantity`, `unitCost` (JSON numbers) and `unitOfMeasureCode`.
    #[serde(default)]
    pub quantity: Option<serde_json::Number>,
    #[serde(default, rename = "unitCost")]
    pub unit_cost: Option<serde_json::Number>,
    #[serde(default, rename = "unitOfMeasureCode")]
    pub unit_of_measure: Option<String>,
    /// Expected seats, price per seat (a decimal string) and period; a key that is absent is not
    /// scored, `null` means "none".
    #[serde(default, deserialize_with = "present")]
    pub seats: Option<Option<u32>>,
    #[serde(default, rename = "unitPrice", deserialize_with = "present")]
    pub unit_price: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub period: Option<Option<String>>,
}

/// A key that is present, possibly `null`: `Some(None)`; absent: `None` (by `default`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn decimal(n: &Option<serde_json::Number>) -> Option<Amount> {
    n.as_ref()
        .and_then(|n| Amount::parse_json_number(&n.to_string()).ok())
}

impl Case {
    /// The outcome this case's scoring counts as right for `got`: `got` itself when `accept`
    /// allows it, else `expected`.
    fn wanted(&self, got: Option<&str>) -> Option<String> {
        let allowed = self
            .accept
            .as_ref()
            .is_some_and(|a| a.iter().any(|x| x.as_deref() == got));
        if allowed {
            got.map(str::to_owned)
        } else {
            self.expected.clone()
        }
    }

    /// What the extraction reads from this line.
    pub fn terms(&self) -> Terms {
        seats::terms(&LineFigures {
            description: &self.description,
            description2: None,
            quantity: decimal(&self.quantity),
            unit_cost: decimal(&self.unit_cost),
            unit_of_measure: self.unit_of_measure.as_deref(),
            net_amount: decimal(&self.net_amount).unwrap_or_default(),
        })
    }

    fn line_info(&self) -> LineInfo<'_> {
        let amount = decimal(&self.net_amount).map_or(0, |a| a.0);
        LineInfo {
            description: &self.description,
            held_description: None,
            description2: None,
            line_type: LineType::parse(self.line_type.as_deref().unwrap_or("Item")),
            account_number: None,
            amount,
        }
    }
}

/// The decision for each case: a lone case as `explain` gives it; the lines of one invoice
/// matched together, as line mode gives them.
pub fn decide(matcher: &Matcher, cases: &[Case]) -> Vec<Decision> {
    let mut out: Vec<Option<Decision>> = vec![None; cases.len()];
    let mut invoices: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in cases.iter().enumerate() {
        match &c.invoice {
            Some(inv) => invoices.entry(inv).or_default().push(i),
            None => {
                let vendor = vendor_of(c);
                out[i] = Some(matcher.explain(&vendor, Some(&c.description)));
            }
        }
    }
    for idx in invoices.values_mut() {
        idx.sort_by_key(|&i| cases[i].sequence);
        let first = &cases[idx[0]];
        let lines: Vec<LineInfo> = idx.iter().map(|&i| cases[i].line_info()).collect();
        let mut m = matcher.match_invoice(&vendor_of(first), &lines);
        let types: Vec<LineType> = lines.iter().map(|l| l.line_type).collect();
        allocation::apply(LineMode::Line, &mut m, &types);
        for (&i, lm) in idx.iter().zip(m.lines) {
            out[i] = Some(lm.decision);
        }
    }
    out.into_iter()
        .map(|d| d.expect("every case decided"))
        .collect()
}

fn vendor_of(c: &Case) -> VendorInfo<'_> {
    VendorInfo {
        name: &c.vendor,
        number: None,
        website: c.website.as_deref(),
        email: c.email.as_deref(),
    }
}

pub fn load() -> Vec<Case> {
    load_from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/matching/eval.json"
    ))
}

/// Reads a labelled set in eval.json's format (e.g. tests/matching/holdout.json).
pub fn load_from(path: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let v: serde_json::Value = serde_json::from_str(&text).expect("eval.json is JSON");
    let cases = if v.is_array() {
        v
    } else {
        v.get("cases")
            .cloned()
            .expect("eval.json: an array or {cases: [...]}")
    };
    serde_json::from_value(cases)
        .expect("eval.json cases have id, kind, vendor, description, expected")
}

#[derive(Default, Clone)]
pub struct Counts {
    pub cases: usize,
    /// Cases with an expected app.
    pub positives: usize,
    /// Cases expected to stay unmatched.
    pub negatives: usize,
    /// Matches made.
    pub matched: usize,
    /// Matches made to the expected app.
    pub correct: usize,
    /// Matches made on expected-unmatched cases.
    pub false_on_negative: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.matched == 0 {
            1.0
        } else {
            self.correct as f64 / self.matched as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.positives == 0 {
            1.0
        } else {
            self.correct as f64 / self.positives as f64
        }
    }
    pub fn fpr(&self) -> f64 {
        if self.negatives == 0 {
            0.0
        } else {
            self.false_on_negative as f64 / self.negatives as f64
        }
    }
    fn add(&mut self, expected: Option<&str>, got: Option<&str>) {
        self.cases += 1;
        match expected {
            Some(_) => self.positives += 1,
            None => self.negatives += 1,
        }
        if let Some(g) = got {
            self.matched += 1;
            if Some(g) == expected {
                self.correct += 1;
            }
            if expected.is_none() {
                self.false_on_negative += 1;
            }
        }
    }
}

pub struct Mistake {
    pub id: String,
    pub kind: String,
    pub vendor: String,
    pub description: String,
    pub expected: Option<String>,
    pub got: Option<String>,
    pub reason: String,
}

pub struct Report {
    pub overall: Counts,
    pub per_kind: BTreeMap<String, Counts>,
    /// By `lang` and by `rule`, for the sets that label them (keys `lang de`, `rule ...`).
    pub per_label: BTreeMap<String, Counts>,
    pub mistakes: Vec<Mistake>,
    /// Seats, price per seat and period, scored where labelled and the app is right.
    pub seats: FieldScore,
    pub unit_price: FieldScore,
    pub period: FieldScore,
    pub term_mistakes: Vec<String>,
}

#[derive(Default, Clone, Copy)]
pub struct FieldScore {
    pub scored: usize,
    pub correct: usize,
}

impl FieldScore {
    pub fn accuracy(&self) -> f64 {
        if self.scored == 0 {
            1.0
        } else {
            self.correct as f64 / self.scored as f64
        }
    }
    fn add(&mut self, ok: bool) {
        self.scored += 1;
        self.correct += usize::from(ok);
    }
}

pub fn evaluate(matcher: &Matcher, cases: &[Case]) -> Report {
    let mut overall = Counts::default();
    let mut per_kind: BTreeMap<String, Counts> = BTreeMap::new();
    let mut per_label: BTreeMap<String, Counts> = BTreeMap::new();
    let mut mistakes = Vec::new();
    let (mut seat_score, mut price_score, mut period_score) = Default::default();
    let mut term_mistakes = Vec::new();
    let decisions = decide(matcher, cases);
    for (c, d) in cases.iter().zip(&decisions) {
        let got = d.matched.as_ref().map(|m| m.app_id.clone());
        let wanted = c.wanted(got.as_deref());
        if got.is_some() && got == wanted {
            score_terms(
                c,
                &mut seat_score,
                &mut price_score,
                &mut period_score,
                &mut term_mistakes,
            );
        }
        overall.add(wanted.as_deref(), got.as_deref());
        per_kind
            .entry(c.kind.clone())
            .or_default()
            .add(wanted.as_deref(), got.as_deref());
        for label in [
            c.lang.as_ref().map(|l| format!("lang {l}")),
            c.rule.as_ref().map(|r| format!("rule {r}")),
        ]
        .into_iter()
        .flatten()
        {
            per_label
                .entry(label)
                .or_default()
                .add(wanted.as_deref(), got.as_deref());
        }
        if got != wanted {
            let reason = match (&d.matched, &d.rejected) {
                (Some(m), _) => format!(
                    "{:?} by {} ({}), confidence {}",
                    m.decided_by,
                    m.evidence
                        .iter()
                        .map(|e| format!("{} '{}'", e.field, e.text))
                        .collect::<Vec<_>>()
                        .join(", "),
                    m.evidence
                        .iter()
                        .map(|e| e.kind)
                        .collect::<Vec<_>>()
                        .join(", "),
                    m.confidence
                ),
                (None, Some(r)) => r.reason.clone(),
                (None, None) => "nothing in the catalog was named".into(),
            };
            mistakes.push(Mistake {
                id: c.id.clone(),
                kind: c.kind.clone(),
                vendor: c.vendor.clone(),
                description: c.description.clone(),
                expected: c.expected.clone(),
                got,
                reason,
            });
        }
    }
    Report {
        overall,
        per_kind,
        per_label,
        mistakes,
        seats: seat_score,
        unit_price: price_score,
        period: period_score,
        term_mistakes,
    }
}

fn score_terms(
    c: &Case,
    seats: &mut FieldScore,
    price: &mut FieldScore,
    period: &mut FieldScore,
    mistakes: &mut Vec<String>,
) {
    let t = c.terms();
    let mut wrong = Vec::new();
    if let Some(want) = c.seats {
        seats.add(t.seats == want);
        if t.seats != want {
            wrong.push(format!("seats {:?} want {want:?}", t.seats));
        }
    }
    if let Some(want) = &c.unit_price {
        // Compared as decimals: "19.00" equals "19".
        let want = want
            .as_deref()
            .map(|w| Amount::parse_json_number(w).expect("unitPrice labels are decimals"));
        price.add(t.unit_price == want);
        if t.unit_price != want {
            wrong.push(format!(
                "unitPrice {:?} want {:?}",
                t.unit_price.map(|a| a.to_string()),
                want.map(|a| a.to_string())
            ));
        }
    }
    if let Some(want) = &c.period {
        let got = t.period.map(|p| p.as_str());
        period.add(got == want.as_deref());
        if got != want.as_deref() {
            wrong.push(format!("period {got:?} want {want:?}"));
        }
    }
    if !wrong.is_empty() {
        mistakes.push(format!(
            "  {} {:?}: {}",
            c.id,
            c.description,
            wrong.join(", ")
        ));
    }
}

impl Report {
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<18} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6}\n",
            "kind", "cases", "pos", "neg", "precision", "recall", "FPR"
        );
        let row = |name: &str, c: &Counts| {
            format!(
                "{:<18} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>6.3}\n",
                name,
                c.cases,
                c.positives,
                c.negatives,
                c.precision(),
                c.recall(),
                c.fpr()
            )
        };
        for (k, c) in self.per_kind.iter().chain(&self.per_label) {
            s.push_str(&row(k, c));
        }
        s.push_str(&row("overall", &self.overall));
        for (name, f) in [
            ("seats", self.seats),
            ("unitPrice", self.unit_price),
            ("period", self.period),
        ] {
            if f.scored > 0 {
                s.push_str(&format!(
                    "{name:<18} {:>5} scored, accuracy {:.3}\n",
                    f.scored,
                    f.accuracy()
                ));
            }
        }
        s
    }

    pub fn mistakes(&self) -> String {
        let mut s = format!("{} mistake(s):\n", self.mistakes.len());
        for m in &self.mistakes {
            s.push_str(&format!(
                "  {} [{}] vendor {:?} | description {:?}\n      expected {} got {}: {}\n",
                m.id,
                m.kind,
                m.vendor,
                m.description,
                m.expected.as_deref().unwrap_or("(none)"),
                m.got.as_deref().unwrap_or("(none)"),
                m.reason
            ));
        }
        if !self.term_mistakes.is_empty() {
            s.push_str(&format!(
                "{} seat/price/period mistake(s):\n{}\n",
                self.term_mistakes.len(),
                self.term_mistakes.join("\n")
            ));
        }
        s
    }
}

/// A held-out set's regression floors (its `HOLDOUT-V*.md`): app precision and recall over the
/// whole set, and the share of must-stay-unmatched lines that may get an app.
pub struct Floors {
    pub precision: f64,
    pub recall: f64,
    pub false_positive_rate: f64,
}

/// Scores the held-out set `tests/matching/{name}.json` ("holdout-v2" ...) apart from
/// `eval.json`: checks it still has its `cases` (a holdout does not grow), prints its table and
/// mistakes, writes them to `tests/artifacts/matching/{name}.txt`, and fails below `floors`.
pub fn score_holdout(name: &str, doc: &str, cases: usize, floors: Floors) {
    let root = env!("CARGO_MANIFEST_DIR");
    let set = load_from(&format!("{root}/tests/matching/{name}.json"));
    assert_eq!(
        set.len(),
        cases,
        "the holdout does not grow ({doc}, rule 4)"
    );
    let matcher = Matcher::new(bc_spend::catalog::Catalog::builtin(), &[]).unwrap();
    let report = evaluate(&matcher, &set);
    let out = format!(
        "{name} (tests/matching/{name}.json, {cases} cases), reported apart\n\n{}\n{}",
        report.table(),
        report.mistakes()
    );
    println!("{out}");
    let dir = format!("{root}/tests/artifacts/matching");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(format!("{dir}/{name}.txt"), &out);

    let all = &report.overall;
    assert!(
        all.precision() >= floors.precision,
        "{name} precision {:.3} fell below its regression floor {}",
        all.precision(),
        floors.precision
    );
    assert!(
        all.recall() >= floors.recall,
        "{name} recall {:.3} fell below its regression floor {}",
        all.recall(),
        floors.recall
    );
    assert!(
        all.fpr() <= floors.false_positive_rate,
        "{name}: {:.1}% of must-stay-unmatched lines matched, above {:.1}%",
        all.fpr() * 100.0,
        floors.false_positive_rate * 100.0
    );
}
