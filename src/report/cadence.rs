//! Billing cadence: how often a subscription is charged, from the dates of its charges.
//!
//! Charges on dates at most [`MERGE_DAYS`] apart are one charge event (an invoice and its seat
//! true-up; the lines of one invoice in `line` mode). The intervals between events are classed
//! monthly (25-35 days), quarterly (80-100) or annual (340-390); the class of at least 60% of
//! the intervals decides, with confidence `share x n / (n + 1)` for `n` intervals, so one
//! interval is never more than an even bet. A single event is `insufficientData`.

use crate::date::{days_in_month, Date};
use crate::money::Amount;
use serde::Serialize;

pub const MERGE_DAYS: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CadenceKind {
    Monthly,
    Quarterly,
    Annual,
    Irregular,
    InsufficientData,
}

impl CadenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CadenceKind::Monthly => "monthly",
            CadenceKind::Quarterly => "quarterly",
            CadenceKind::Annual => "annual",
            CadenceKind::Irregular => "irregular",
            CadenceKind::InsufficientData => "insufficientData",
        }
    }

    /// Calendar months between charges, for the periodic kinds.
    pub fn months(self) -> Option<u32> {
        match self {
            CadenceKind::Monthly => Some(1),
            CadenceKind::Quarterly => Some(3),
            CadenceKind::Annual => Some(12),
            _ => None,
        }
    }

    /// Days an expected charge may be late before it counts as missing. The report sees paid
    /// invoices only, so the latest one may be posted and waiting on its payment terms (14 to 30
    /// days is usual for SaaS vendors).
    pub fn grace_days(self) -> i64 {
        match self {
            CadenceKind::Monthly => 20,
            CadenceKind::Quarterly => 30,
            _ => 45,
        }
    }

    pub fn is_periodic(self) -> bool {
        self.months().is_some()
    }
}

/// The class of one interval between charges.
pub fn classify_interval(days: i64) -> Option<CadenceKind> {
    match days {
        25..=35 => Some(CadenceKind::Monthly),
        80..=100 => Some(CadenceKind::Quarterly),
        340..=390 => Some(CadenceKind::Annual),
        _ => None,
    }
}

/// One charge event: charges merged by date.
#[derive(Debug, Clone)]
pub struct ChargeEvent<'a> {
    pub date: Date,
    pub last_date: Date,
    pub amount: Amount,
    pub ids: Vec<&'a str>,
}

/// Merges `(date, amount, id)` charges, sorted by date, into events.
pub fn events<'a>(charges: &[(Date, Amount, &'a str)]) -> Vec<ChargeEvent<'a>> {
    let mut out: Vec<ChargeEvent<'a>> = Vec::new();
    for &(d, a, id) in charges {
        match out.last_mut() {
            Some(e) if d.to_days() - e.last_date.to_days() <= MERGE_DAYS => {
                e.amount += a;
                e.last_date = d;
                e.ids.push(id);
            }
            _ => out.push(ChargeEvent {
                date: d,
                last_date: d,
                amount: a,
                ids: vec![id],
            }),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cadence {
    pub kind: CadenceKind,
    pub confidence: f64,
    pub median_interval_days: Option<i64>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The cadence of a list of event dates (ascending).
pub fn detect(dates: &[Date]) -> Cadence {
    if dates.len() < 2 {
        return Cadence {
            kind: CadenceKind::InsufficientData,
            confidence: 0.0,
            median_interval_days: None,
        };
    }
    let mut intervals: Vec<i64> = dates
        .windows(2)
        .map(|w| w[1].to_days() - w[0].to_days())
        .collect();
    let n = intervals.len();
    let mut counts = [0usize; 3];
    for &i in &intervals {
        match classify_interval(i) {
            Some(CadenceKind::Monthly) => counts[0] += 1,
            Some(CadenceKind::Quarterly) => counts[1] += 1,
            Some(CadenceKind::Annual) => counts[2] += 1,
            _ => {}
        }
    }
    crate::sort::sort(&mut intervals);
    let median = intervals[n / 2];
    let (best, &c) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i)))
        .expect("three classes");
    let share = c as f64 / n as f64;
    let weight = n as f64 / (n as f64 + 1.0);
    // Integer test of share >= 60%, so no float edge decides the kind.
    if c * 5 >= n * 3 {
        let kind = [
            CadenceKind::Monthly,
            CadenceKind::Quarterly,
            CadenceKind::Annual,
        ][best];
        Cadence {
            kind,
            confidence: round2(share * weight),
            median_interval_days: Some(median),
        }
    } else {
        Cadence {
            kind: CadenceKind::Irregular,
            confidence: round2((1.0 - share) * weight),
            median_interval_days: Some(median),
        }
    }
}

/// A lasting change in a series of charges (or, once seats are known, of prices per seat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Index of the first value at the new level.
    pub at: usize,
    /// The value just before the step.
    pub before: i128,
    /// The latest value: the level the series is at now.
    pub after: i128,
}

/// Whether every value is within `tol_percent` of the run's median.
fn steady(run: &[i128], tol_percent: i128) -> bool {
    let mut sorted = run.to_vec();
    crate::sort::sort(&mut sorted);
    let m = sorted[sorted.len() / 2];
    m > 0 && run.iter().all(|v| (v - m).abs() * 100 <= tol_percent * m)
}

/// The latest lasting change of more than `percent` in `values` (the charges of one subscription,
/// in date order), or `None`.
///
/// A change at index `k` counts when the values before it are steady (the `min_run` values just
/// before, or all of them when fewer) and so are all the values from `k` on, and there are at
/// least `min_run` of those, or `k` is the latest value (a new price shows first on the latest
/// charge). Steady is within half of `percent` of the run's median, so seat counts that drift a
/// little do not break a run. So a one-off spike or dip that reverts is never a step (the run
/// that contains it is not steady), nor is a prorated first charge when `min_run` is 2. Only the
/// latest step is returned: one subscription never gets two contradictory changes.
pub fn latest_step(values: &[i128], min_run: usize, percent: i128) -> Option<Step> {
    step_search(values, min_run, percent, |change, base| change > base)
}

/// [`latest_step`] with a change of `percent` or more, not only beyond it: a price per seat is
/// exact, so "changed by 5% or more" is told as written.
pub fn latest_step_at_least(values: &[i128], min_run: usize, percent: i128) -> Option<Step> {
    step_search(values, min_run, percent, |change, base| change >= base)
}

/// `big(|after - before| x 100, percent x before)` says whether a change counts.
fn step_search(
    values: &[i128],
    min_run: usize,
    percent: i128,
    big: impl Fn(i128, i128) -> bool,
) -> Option<Step> {
    let n = values.len();
    let tol = (percent / 2).max(1);
    (1..n).rev().find_map(|k| {
        let after = &values[k..];
        let before = &values[k.saturating_sub(min_run)..k];
        let lasting = after.len() >= min_run || k == n - 1;
        if !lasting || before.len() < min_run || !steady(after, tol) || !steady(before, tol) {
            return None;
        }
        let (b, a) = (values[k - 1], values[n - 1]);
        big((a - b).abs() * 100, percent * b).then_some(Step {
            at: k,
            before: b,
            after: a,
        })
    })
}

/// `d` plus `months` calendar months, the day clamped to the month's length.
pub fn add_months(d: Date, months: u32) -> Date {
    let total = d.year as i64 * 12 + (d.month as i64 - 1) + months as i64;
    let year = (total / 12) as i32;
    let month = (total % 12 + 1) as u8;
    let day = d.day.min(days_in_month(year, month));
    Date { year, month, day }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_bc(s).unwrap().unwrap()
    }

    #[test]
    fn kinds() {
        let monthly: Vec<Date> = (0..12).map(|m| add_months(d("2025-01-31"), m)).collect();
        let c = detect(&monthly);
        assert_eq!(c.kind, CadenceKind::Monthly);
        assert!(c.confidence > 0.9);
        assert_eq!(
            detect(&[d("2025-01-10"), d("2026-01-10")]).kind,
            CadenceKind::Annual
        );
        assert_eq!(
            detect(&[d("2025-01-10"), d("2025-04-10"), d("2025-07-12")]).kind,
            CadenceKind::Quarterly
        );
        assert_eq!(
            detect(&[
                d("2025-01-10"),
                d("2025-03-01"),
                d("2025-03-20"),
                d("2025-09-01")
            ])
            .kind,
            CadenceKind::Irregular
        );
        assert_eq!(
            detect(&[d("2025-01-10")]).kind,
            CadenceKind::InsufficientData
        );
        assert_eq!(add_months(d("2025-01-31"), 1), d("2025-02-28"));
        assert_eq!(add_months(d("2025-11-15"), 3), d("2026-02-15"));
    }

    #[test]
    fn steps_and_spikes() {
        let v = |xs: &[i128]| xs.to_vec();
        let step = latest_step(&v(&[100, 100, 100, 120, 120, 120]), 2, 10).unwrap();
        assert_eq!((step.at, step.before, step.after), (3, 100, 120));
        // The latest charge alone may show a new price.
        assert_eq!(latest_step(&v(&[100, 100, 120]), 2, 10).unwrap().at, 2);
        // A spike, a dip, a prorated first charge: no step.
        assert_eq!(latest_step(&v(&[100, 100, 180, 100, 100]), 2, 10), None);
        assert_eq!(latest_step(&v(&[100, 100, 100, 180, 100]), 2, 10), None);
        assert_eq!(latest_step(&v(&[45, 100, 100, 100]), 2, 10), None);
        // Exactly the threshold is not beyond it.
        assert_eq!(latest_step(&v(&[100, 100, 110, 110]), 2, 10), None);
        // Seats drifting within the tolerance keep a run steady.
        assert_eq!(
            latest_step(&v(&[100, 102, 101, 130, 128, 131]), 2, 10).map(|s| s.at),
            Some(3)
        );
        // Two steps: only the latest.
        let s = latest_step(&v(&[100, 100, 130, 130, 130, 90]), 2, 10).unwrap();
        assert_eq!((s.before, s.after), (130, 90));
        // At least: exactly the threshold counts.
        assert_eq!(
            latest_step_at_least(&v(&[1000, 1000, 1050, 1050]), 2, 5).map(|s| s.at),
            Some(2)
        );
        assert_eq!(
            latest_step_at_least(&v(&[1000, 1000, 1049, 1049]), 2, 5),
            None
        );
        // Annual: one charge on each side is enough.
        assert_eq!(latest_step(&v(&[5400, 6480]), 1, 10).unwrap().at, 1);
    }

    #[test]
    fn same_week_charges_merge() {
        let ch = [
            (d("2025-01-01"), Amount(10), "a"),
            (d("2025-01-04"), Amount(5), "b"),
            (d("2025-02-01"), Amount(10), "c"),
        ];
        let ev = events(&ch);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].amount, Amount(15));
        assert_eq!(ev[0].ids, vec!["a", "b"]);
    }
}
