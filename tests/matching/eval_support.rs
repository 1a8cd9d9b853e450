//! Shared by `tests/matching_eval.rs` and `examples/match_eval.rs`: loads the labelled cases and
//! scores the matcher on them.
#![allow(dead_code)]

use bc_spend::matching::{Matcher, VendorInfo};
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
    #[serde(default)]
    pub note: Option<String>,
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
    for c in cases {
        let vendor = VendorInfo {
            name: &c.vendor,
            number: None,
            website: c.website.as_deref(),
            email: c.email.as_deref(),
        };
        let d = matcher.explain(&vendor, Some(&c.description));
        let got = d.matched.as_ref().map(|m| m.app_id.clone());
        overall.add(c.expected.as_deref(), got.as_deref());
        per_kind
            .entry(c.kind.clone())
            .or_default()
            .add(c.expected.as_deref(), got.as_deref());
        if got != c.expected {
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
