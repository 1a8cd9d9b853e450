//! Shared by `tests/matching_eval.rs` and `examples/match_eval.rs`: loads the labelled cases and
//! scores the matcher on them.
#![allow(dead_code)]

use bc_spend::bc::LineType;
use bc_spend::matching::{Decision, LineInfo, Matcher, VendorInfo};
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

    fn line_info(&self) -> LineInfo<'_> {
        let amount = self
            .net_amount
            .as_ref()
            .and_then(|n| bc_spend::money::Amount::parse_json_number(&n.to_string()).ok())
            .map_or(0, |a| a.0);
        LineInfo {
            description: &self.description,
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
        allocation::apply(LineMode::Line, &mut m);
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
    pub mistakes: Vec<Mistake>,
}

pub fn evaluate(matcher: &Matcher, cases: &[Case]) -> Report {
    let mut overall = Counts::default();
    let mut per_kind: BTreeMap<String, Counts> = BTreeMap::new();
    let mut mistakes = Vec::new();
    let decisions = decide(matcher, cases);
    for (c, d) in cases.iter().zip(&decisions) {
        let got = d.matched.as_ref().map(|m| m.app_id.clone());
        let wanted = c.wanted(got.as_deref());
        overall.add(wanted.as_deref(), got.as_deref());
        per_kind
            .entry(c.kind.clone())
            .or_default()
            .add(wanted.as_deref(), got.as_deref());
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
        mistakes,
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
        for (k, c) in &self.per_kind {
            s.push_str(&row(k, c));
        }
        s.push_str(&row("overall", &self.overall));
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
        s
    }
}
