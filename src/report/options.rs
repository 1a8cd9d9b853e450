//! Report options, their validation, and exact currency conversion with the caller's rates.

use crate::date::Date;
use crate::error::ConfigError;
use crate::error::ErrorCode;
use crate::money::Amount;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Options of `engine.report(options)` as the caller writes them (camelCase in JS).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportOptions {
    /// Required: the report's "today", `YYYY-MM-DD`.
    pub as_of: Option<String>,
    /// ISO 4217 code of the reporting currency.
    pub reporting_currency: Option<String>,
    /// Exchange rates: `1 from = rate to`, valid from `date` until a later rate of the pair.
    pub rates: Option<Vec<RateOption>>,
    /// How many apps each `topApps` ranking lists (1..=100, default 10).
    pub top_apps: Option<u32>,
    /// Renewals due within this many days of `asOf` (1..=366, default 90).
    pub renewal_window_days: Option<u32>,
    /// A charge change beyond this many percent is a price change (1..=1000, default 10).
    pub price_change_percent: Option<u32>,
    /// A usage app's latest month beyond this many percent off its trailing three-month mean is
    /// a spend trend (1..=1000, default 30).
    pub usage_trend_percent: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateOption {
    pub date: String,
    pub from: String,
    pub to: String,
    /// A decimal string; kept as JSON so a number can be refused with a helpful message.
    pub rate: serde_json::Value,
}

impl ReportOptions {
    /// Reads options from JSON data, refusing unknown keys.
    pub fn from_json(v: &serde_json::Value) -> Result<ReportOptions, ConfigError> {
        if v.is_null() {
            return Ok(ReportOptions::default());
        }
        if !v.is_object() {
            return Err(ConfigError::new(
                ErrorCode::InvalidOption,
                "report options must be an object such as { \"asOf\": \"2026-11-26\" }",
            ));
        }
        serde_json::from_value(v.clone()).map_err(|e| {
            ConfigError::new(
                ErrorCode::InvalidOption,
                format!("invalid report options: {e}"),
            )
        })
    }
}

/// An exchange rate as an exact decimal: `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub mantissa: i128,
    pub scale: u32,
}

impl Rate {
    pub const ONE: Rate = Rate {
        mantissa: 1,
        scale: 0,
    };
    pub const MAX_DECIMALS: u32 = 12;

    /// A positive decimal string with at most 12 decimals and 12 integer digits.
    pub fn parse(s: &str) -> Option<Rate> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        let int = int.trim_start_matches('0');
        if frac.len() > Self::MAX_DECIMALS as usize || int.len() > 12 {
            return None;
        }
        let mut m: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            m = m * 10 + (b - b'0') as i128;
        }
        if m == 0 {
            return None;
        }
        Some(Rate {
            mantissa: m,
            scale: frac.len() as u32,
        })
    }

    /// `amount x rate`, rounded once, half to even, to the amount's unit (0.0001). `None` only
    /// if the result does not fit an amount.
    pub fn convert(self, a: Amount) -> Option<Amount> {
        let p = (a.0 as i128).checked_mul(self.mantissa)?;
        let d = 10i128.pow(self.scale);
        Some(Amount(
            i64::try_from(div_half_even(p, d))
                .ok()
                .filter(|v| *v != i64::MIN)?,
        ))
    }
}

/// `n / d` rounded half to even (`d > 0`).
pub fn div_half_even(n: i128, d: i128) -> i128 {
    debug_assert!(d > 0);
    let (neg, n) = (n < 0, n.abs());
    let q = n / d;
    let r = n % d;
    let q = match (2 * r).cmp(&d) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
        std::cmp::Ordering::Less => q,
    };
    if neg {
        -q
    } else {
        q
    }
}

/// `num / den` as a percentage with one decimal, rounded half to even (`"12.5"`, `"-3.0"`).
pub fn percent_tenths(num: i128, den: i128) -> Option<String> {
    if den <= 0 {
        return None;
    }
    let t = div_half_even(num.checked_mul(1000)?, den);
    let sign = if t < 0 { "-" } else { "" };
    Some(format!("{sign}{}.{}", t.abs() / 10, t.abs() % 10))
}

/// Validated options.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    pub as_of: Date,
    pub reporting_currency: Option<String>,
    /// Per `from`, per `to`: rates sorted by date.
    pub rates: BTreeMap<String, BTreeMap<String, Vec<(Date, Rate)>>>,
    pub top_apps: usize,
    pub renewal_window_days: i64,
    pub price_change_percent: i64,
    pub usage_trend_percent: i64,
}

fn currency_code(v: &str, path: &str) -> Result<String, ConfigError> {
    let c = v.trim().to_ascii_uppercase();
    if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ConfigError::new(
            ErrorCode::InvalidOption,
            format!(
                "`{path}` must be a 3-letter ISO 4217 currency code such as \"EUR\", got {v:?}"
            ),
        )
        .at(path));
    }
    Ok(c)
}

fn date_option(v: &str, path: &str) -> Result<Date, ConfigError> {
    match Date::parse_bc(v.trim()) {
        Ok(Some(d)) if v.trim().len() == 10 => Ok(d),
        _ => Err(ConfigError::new(
            ErrorCode::InvalidOption,
            format!("`{path}` must be a date written YYYY-MM-DD, got {v:?}"),
        )
        .at(path)),
    }
}

fn ranged(v: Option<u32>, default: u32, lo: u32, hi: u32, name: &str) -> Result<u32, ConfigError> {
    match v {
        None => Ok(default),
        Some(n) if (lo..=hi).contains(&n) => Ok(n),
        Some(n) => Err(ConfigError::new(
            ErrorCode::InvalidOption,
            format!("`{name}` must be between {lo} and {hi}, got {n}"),
        )
        .at(name)),
    }
}

impl ReportSettings {
    pub fn new(o: &ReportOptions) -> Result<ReportSettings, ConfigError> {
        let as_of = match &o.as_of {
            None => {
                return Err(ConfigError::new(
                    ErrorCode::MissingOption,
                    "`asOf` is required: the report's date (YYYY-MM-DD), against which renewals, overdue charges and the 90-day window are computed",
                )
                .at("asOf"))
            }
            Some(s) => date_option(s, "asOf")?,
        };
        let reporting_currency = o
            .reporting_currency
            .as_deref()
            .map(|c| currency_code(c, "reportingCurrency"))
            .transpose()?;
        let mut rates: BTreeMap<String, BTreeMap<String, Vec<(Date, Rate)>>> = BTreeMap::new();
        if let Some(list) = &o.rates {
            if reporting_currency.is_none() && !list.is_empty() {
                return Err(ConfigError::new(ErrorCode::MissingOption, "`rates` were given without `reportingCurrency`: name the currency to convert to").at("reportingCurrency"));
            }
            for (i, r) in list.iter().enumerate() {
                let date = date_option(&r.date, &format!("rates/{i}/date"))?;
                let from = currency_code(&r.from, &format!("rates/{i}/from"))?;
                let to = currency_code(&r.to, &format!("rates/{i}/to"))?;
                let rate = match &r.rate {
                    serde_json::Value::String(s) => Rate::parse(s).ok_or_else(|| {
                        ConfigError::new(ErrorCode::InvalidOption, format!("`rates/{i}/rate` must be a positive decimal with at most 12 decimals, such as \"0.9216\", got {s:?}")).at(format!("rates/{i}/rate"))
                    })?,
                    other => {
                        return Err(ConfigError::new(
                            ErrorCode::InvalidOption,
                            format!("`rates/{i}/rate` must be a decimal string such as \"0.9216\" (a JSON number would be a binary float), got {other}"),
                        )
                        .at(format!("rates/{i}/rate")))
                    }
                };
                let list = rates
                    .entry(from.clone())
                    .or_default()
                    .entry(to.clone())
                    .or_default();
                if let Some((_, prev)) = list.iter().find(|(d, _)| *d == date) {
                    if *prev != rate {
                        return Err(ConfigError::new(
                            ErrorCode::InvalidOption,
                            format!("two different {from}->{to} rates are dated {date}"),
                        )
                        .at(format!("rates/{i}")));
                    }
                    continue;
                }
                list.push((date, rate));
            }
            for l in rates.values_mut().flat_map(|m| m.values_mut()) {
                crate::sort::sort_by_key(l, |(d, _)| *d);
            }
        }
        Ok(ReportSettings {
            as_of,
            reporting_currency,
            rates,
            top_apps: ranged(o.top_apps, 10, 1, 100, "topApps")? as usize,
            renewal_window_days: ranged(o.renewal_window_days, 90, 1, 366, "renewalWindowDays")?
                as i64,
            price_change_percent: ranged(o.price_change_percent, 10, 1, 1000, "priceChangePercent")?
                as i64,
            usage_trend_percent: ranged(o.usage_trend_percent, 30, 1, 1000, "usageTrendPercent")?
                as i64,
        })
    }

    /// The rate to convert `currency` on `date` into the reporting currency: the pair's rate
    /// with the latest date on or before `date`. Never inverted, chained or taken from the future.
    pub fn rate_for(&self, currency: &str, date: Date) -> Option<Rate> {
        let to = self.reporting_currency.as_deref()?;
        if currency.is_empty() {
            return None;
        }
        if currency == to {
            return Some(Rate::ONE);
        }
        let list = self.rates.get(currency)?.get(to)?;
        let idx = list.partition_point(|(d, _)| *d <= date);
        idx.checked_sub(1).map(|i| list[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_exactly() {
        assert_eq!(
            Rate::parse("0.9216"),
            Some(Rate {
                mantissa: 9216,
                scale: 4
            })
        );
        assert_eq!(
            Rate::parse("1"),
            Some(Rate {
                mantissa: 1,
                scale: 0
            })
        );
        assert_eq!(
            Rate::parse("1.50"),
            Some(Rate {
                mantissa: 15,
                scale: 1
            })
        );
        assert_eq!(Rate::parse("0"), None);
        assert_eq!(Rate::parse("-1"), None);
        assert_eq!(Rate::parse("1e3"), None);
        assert_eq!(Rate::parse("0.0000000000001"), None);
        assert_eq!(Rate::parse(""), None);
    }

    #[test]
    fn half_even() {
        assert_eq!(div_half_even(5, 10), 0);
        assert_eq!(div_half_even(15, 10), 2);
        assert_eq!(div_half_even(25, 10), 2);
        assert_eq!(div_half_even(26, 10), 3);
        assert_eq!(div_half_even(-25, 10), -2);
        assert_eq!(div_half_even(-35, 10), -4);
        // 100.00 x 0.33335 = 33.335 -> 33.3350 exactly (no rounding needed at 4 decimals)
        assert_eq!(
            Rate::parse("0.33335").unwrap().convert(Amount(1_000_000)),
            Some(Amount(333_350))
        );
        // 0.0001 x 0.5 = 0.00005 -> half to even -> 0.0000; 0.0003 x 0.5 -> 0.0002
        assert_eq!(
            Rate::parse("0.5").unwrap().convert(Amount(1)),
            Some(Amount(0))
        );
        assert_eq!(
            Rate::parse("0.5").unwrap().convert(Amount(3)),
            Some(Amount(2))
        );
        assert_eq!(percent_tenths(1, 8).as_deref(), Some("12.5"));
        assert_eq!(percent_tenths(-3, 100).as_deref(), Some("-3.0"));
    }
}
