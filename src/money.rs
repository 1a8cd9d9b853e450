//! Exact money.
//!
//! An [`Amount`] is a signed integer count of ten-thousandths of a currency unit (`1.2345` is
//! `12345`). Business Central stores amounts with at most 2 decimals for most currencies and unit
//! costs with up to 5; spend uses the amount fields, so four decimals hold every amount this
//! product reads, and sums of `i64` ten-thousandths never round.
//!
//! In output, amounts are **decimal strings** with at least two decimals (`"1234.50"`,
//! `"-0.0125"`): JSON numbers would be read back as binary floats by most consumers.
//!
//! # Reading amounts
//! BC sends decimals as JSON numbers. From a page's text ([`Amount::parse_json_number`]) the
//! number is read from its digits, exactly, never through a float: any value with at most four
//! decimal places whose ten-thousandths fit an `i64` (|x| ≤ 922,337,203,685,477.5807) is read,
//! and a value with more places (`6750.0000000000001`) is refused, never rounded.
//!
//! A page given as JS objects (`addPageObject`) has had its numbers turned into `f64` by
//! `JSON.parse` already. Every decimal with at most 15 significant digits survives that round
//! trip exactly, so an `f64` is converted back to the unique decimal with at most four places
//! that it came from ([`Amount::from_f64`]); at |x| ≥ 10^11 that is no longer unique, and such a
//! value is refused: pass large-amount pages as text.
//!
//! A value that cannot be read exactly is refused with an [`AmountError`], which the reader
//! turns into a diagnostic.
//!
//! # Summing amounts
//! `+` and `-` saturate rather than wrap or panic, as a last resort only: sums that could leave
//! the `i64` range are checked before they are made (see [`MagnitudeBudget`]), and what would
//! not fit is reported instead of summed.

use serde::{Serialize, Serializer};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// Ten-thousandths per unit.
pub const SCALE: i64 = 10_000;
/// Largest magnitude read from a float exactly: below it, f64 spacing is finer than 1e-5.
const MAX_EXACT_FROM_F64: f64 = 1e11;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    NotFinite,
    /// Beyond the range of the money type.
    TooLarge,
    /// Within range, but given as a binary float too large to tell which decimal it was.
    TooLargeForFloat,
    TooPrecise,
}

impl AmountError {
    pub fn message(self) -> &'static str {
        match self {
            AmountError::NotFinite => "amount is not a finite number",
            AmountError::TooLarge => "amount is too large (limit 922,337,203,685,477.5807)",
            AmountError::TooLargeForFloat => "amount arrived as a binary float and is too large to be read exactly (limit 100,000,000,000 for pages given as objects; give the page as text)",
            AmountError::TooPrecise => "amount has more than 4 decimal places; it would have to be rounded",
        }
    }
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub fn from_f64(v: f64) -> Result<Amount, AmountError> {
        if !v.is_finite() {
            return Err(AmountError::NotFinite);
        }
        if v.abs() >= MAX_EXACT_FROM_F64 {
            return Err(AmountError::TooLargeForFloat);
        }
        let scaled = (v * SCALE as f64).round();
        // Division is correctly rounded, so this is exactly the f64 nearest to scaled/10^4. If it
        // is `v`, the decimal scaled/10^4 is the one `v` was parsed from (unique at this size).
        if scaled / SCALE as f64 == v {
            Ok(Amount(scaled as i64))
        } else {
            Err(AmountError::TooPrecise)
        }
    }

    pub fn from_i64_units(v: i64) -> Result<Amount, AmountError> {
        v.checked_mul(SCALE)
            .filter(|&a| a != i64::MIN)
            .map(Amount)
            .ok_or(AmountError::TooLarge)
    }

    /// Reads a JSON number from its text (`-12.5`, `1.25e3`, `6750.00`), exactly: refused when
    /// it has a nonzero digit below 0.0001 or its ten-thousandths do not fit an `i64`. The range
    /// is symmetric (no `i64::MIN`), so negating an amount read never overflows.
    pub fn parse_json_number(text: &str) -> Result<Amount, AmountError> {
        if let Some(a) = Amount::parse_plain(text) {
            return Ok(a);
        }
        let (neg, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits_ok(int)
            || !digits_ok(frac)
            || (mantissa.contains('.') && frac.is_empty())
        {
            return Err(AmountError::NotFinite);
        }
        // The exponent, saturated far beyond anything that could still fit: any value past
        // ±10^6 is already refused (too large, or too precise) unless the digits are all zero.
        let exp: i64 = match exp {
            None => 0,
            Some(e) => {
                let (eneg, ed) = match e.as_bytes().first() {
                    Some(b'-') => (true, &e[1..]),
                    Some(b'+') => (false, &e[1..]),
                    _ => (false, e),
                };
                if ed.is_empty() || !digits_ok(ed) {
                    return Err(AmountError::NotFinite);
                }
                let ed = ed.trim_start_matches('0');
                let m: i64 = if ed.len() > 7 {
                    10_000_000
                } else {
                    ed.parse().unwrap_or(0)
                };
                if eneg {
                    -m
                } else {
                    m
                }
            }
        };
        // Digit k (0-based over int then frac) is worth 10^(top - k) ten-thousandths. One pass,
        // nothing allocated: a nonzero digit below 10^0 makes it too precise (which wins, as
        // the more specific reason), one at 10^19 or above too large; the rest add up exactly.
        const POW10: [i128; 19] = {
            let mut t = [1i128; 19];
            let mut k = 1;
            while k < 19 {
                t[k] = t[k - 1] * 10;
                k += 1;
            }
            t
        };
        let top = exp + int.len() as i64 + 3;
        let (mut v, mut too_large, mut too_precise) = (0i128, false, false);
        for (k, d) in int.bytes().chain(frac.bytes()).enumerate() {
            if d == b'0' {
                continue;
            }
            let place = top - k as i64;
            if place < 0 {
                too_precise = true;
                break;
            }
            if place >= 19 {
                too_large = true;
            } else {
                v += (d - b'0') as i128 * POW10[place as usize];
            }
        }
        if too_precise {
            return Err(AmountError::TooPrecise);
        }
        if too_large || v > i64::MAX as i128 {
            return Err(AmountError::TooLarge);
        }
        let v = v as i64;
        Ok(Amount(if neg { -v } else { v }))
    }

    /// Parses a plain decimal string (`"-12.5"`, `"3"`), as used in configuration and tests.
    pub fn parse_decimal(s: &str) -> Result<Amount, AmountError> {
        let s = s.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(AmountError::NotFinite);
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::NotFinite);
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 4 {
            return Err(AmountError::TooPrecise);
        }
        let mut units: i64 = 0;
        for b in int.bytes() {
            units = units
                .checked_mul(10)
                .and_then(|u| u.checked_add((b - b'0') as i64))
                .ok_or(AmountError::TooLarge)?;
        }
        let mut f: i64 = 0;
        for i in 0..4 {
            f = f * 10 + frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i64);
        }
        let v = units
            .checked_mul(SCALE)
            .and_then(|u| u.checked_add(f))
            .ok_or(AmountError::TooLarge)?;
        Ok(Amount(if neg { -v } else { v }))
    }

    /// What BC writes, read in one pass: `-?D+(.D{1,4})?` with at most 14 integer digits (so
    /// that it cannot overflow); `None` for anything else, left to the general reader.
    fn parse_plain(text: &str) -> Option<Amount> {
        let b = text.as_bytes();
        let neg = b.first() == Some(&b'-');
        let mut i = neg as usize;
        let (mut v, start) = (0i64, i);
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            v = v * 10 + (d - b'0') as i64;
            i += 1;
            if i - start > 14 {
                return None;
            }
        }
        if i == start {
            return None;
        }
        let mut places = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                if places == 4 {
                    return None;
                }
                v = v * 10 + (d - b'0') as i64;
                places += 1;
                i += 1;
            }
            if places == 0 {
                return None;
            }
        }
        if i != b.len() {
            return None;
        }
        v *= [10_000, 1000, 100, 10, 1][places];
        Some(Amount(if neg { -v } else { v }))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, o: Amount) -> Option<Amount> {
        self.0.checked_add(o.0).map(Amount)
    }

    /// `self * num / den`, rounded half away from zero, in i128 so it cannot overflow for
    /// amounts this type holds. Used to allocate a total over parts.
    pub fn mul_div(self, num: i64, den: i64) -> Amount {
        if den == 0 {
            return Amount::ZERO;
        }
        let p = self.0 as i128 * num as i128;
        let d = den as i128;
        let q = p / d;
        let r = p % d;
        let adj = if (r.abs() * 2) >= d.abs() {
            p.signum() * d.signum()
        } else {
            0
        };
        Amount((q + adj) as i64)
    }

    /// Converts with a caller-supplied exchange rate given as an exact decimal scaled by 10^8.
    pub fn convert(self, rate_e8: i64) -> Amount {
        self.mul_div(rate_e8, 100_000_000)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let int = abs / SCALE as u64;
        let frac = abs % SCALE as u64;
        let sign = if neg { "-" } else { "" };
        if frac % 100 == 0 {
            write!(f, "{sign}{int}.{:02}", frac / 100)
        } else if frac % 10 == 0 {
            write!(f, "{sign}{int}.{:03}", frac / 10)
        } else {
            write!(f, "{sign}{int}.{frac:04}")
        }
    }
}

impl Amount {
    /// Appends what `Display` writes (`-1234.50`, `0.0125`) without the formatting machinery:
    /// the integer part by `itoa`, then two, three or four decimals, as few as keep it exact.
    pub fn write_decimal(self, out: &mut Vec<u8>) {
        let abs = self.0.unsigned_abs();
        let (int, frac) = (abs / SCALE as u64, (abs % SCALE as u64) as u32);
        if self.0 < 0 {
            out.push(b'-');
        }
        out.extend_from_slice(itoa::Buffer::new().format(int).as_bytes());
        let d = |n: u32| b'0' + (n % 10) as u8;
        let digits = [b'.', d(frac / 1000), d(frac / 100), d(frac / 10), d(frac)];
        let len = if frac % 100 == 0 {
            3
        } else if frac % 10 == 0 {
            4
        } else {
            5
        };
        out.extend_from_slice(&digits[..len]);
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Add for Amount {
    type Output = Amount;
    fn add(self, o: Amount) -> Amount {
        Amount(self.0.saturating_add(o.0))
    }
}
impl AddAssign for Amount {
    fn add_assign(&mut self, o: Amount) {
        self.0 = self.0.saturating_add(o.0);
    }
}
impl Sub for Amount {
    type Output = Amount;
    fn sub(self, o: Amount) -> Amount {
        Amount(self.0.saturating_sub(o.0))
    }
}
impl SubAssign for Amount {
    fn sub_assign(&mut self, o: Amount) {
        self.0 = self.0.saturating_sub(o.0);
    }
}
impl Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(self.0.saturating_neg())
    }
}

/// Longest currency code read: BC's `Currency.Code` is a `Code[10]`.
pub const MAX_CURRENCY_CODE: usize = 10;

/// A currency code as BC sends it, trimmed and upper-cased (`" usd "` is `USD`); blank is `""`
/// (the company's local currency). A code is 1 to [`MAX_CURRENCY_CODE`] characters of `A-Z`,
/// `0-9`, `-`, `_` and `.`: every code becomes its own currency total, so anything else (a long
/// text, spaces, non-ASCII) is refused rather than reported as a currency.
pub fn currency_code(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim();
    if t.len() > MAX_CURRENCY_CODE {
        return Err("is longer than 10 characters");
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err("holds characters other than A-Z, 0-9, '-', '_' and '.'");
    }
    Ok(t.to_ascii_uppercase())
}

/// What the amounts held in one currency may still add up to, in magnitude: while the sum of
/// the magnitudes of every amount excluding tax (and, apart, including tax) fits an `i64`, every
/// total made from any of them (per currency, vendor, app, month; matched or not) is exact.
#[derive(Debug, Clone, Copy)]
pub struct MagnitudeBudget {
    excl_left: i128,
    incl_left: i128,
}

impl Default for MagnitudeBudget {
    fn default() -> Self {
        MagnitudeBudget {
            excl_left: i64::MAX as i128,
            incl_left: i64::MAX as i128,
        }
    }
}

impl MagnitudeBudget {
    /// Takes the magnitudes of `(excluding tax, including tax)` pairs from the budget, all or
    /// nothing: `false` when they do not fit.
    pub fn take(&mut self, amounts: impl IntoIterator<Item = (Amount, Amount)>) -> bool {
        let (mut excl, mut incl) = (0i128, 0i128);
        for (x, i) in amounts {
            excl += (x.0 as i128).abs();
            incl += (i.0 as i128).abs();
        }
        if excl > self.excl_left || incl > self.incl_left {
            return false;
        }
        self.excl_left -= excl;
        self.incl_left -= incl;
        true
    }
}

/// Whether `parts` (a document's lines) can be summed and balanced against `total` (its header
/// total) within range: the magnitudes of the parts plus the difference to spread over them fit
/// an `i64`, which bounds every partial sum and every adjusted part.
pub fn balances_within_range(
    total: Option<Amount>,
    parts: impl IntoIterator<Item = Amount>,
) -> bool {
    let (mut sum, mut magnitude) = (0i128, 0i128);
    for p in parts {
        sum += p.0 as i128;
        magnitude += (p.0 as i128).abs();
    }
    let difference = total.map_or(0, |t| t.0 as i128 - sum);
    magnitude + difference.abs() <= i64::MAX as i128
}

/// Splits `total` over `weights` so that the parts add up to `total` exactly (largest
/// remainder method; ties go to the earlier part). Zero total weight splits evenly.
pub fn allocate(total: Amount, weights: &[Amount]) -> Vec<Amount> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let mut ws: Vec<i128> = weights.iter().map(|w| w.0 as i128).collect();
    let mut sum_w: i128 = ws.iter().sum();
    if sum_w == 0 {
        ws = vec![1; n];
        sum_w = n as i128;
    }
    // Work with a positive weight sum: flipping every weight's sign keeps the proportions.
    if sum_w < 0 {
        ws.iter_mut().for_each(|w| *w = -*w);
        sum_w = -sum_w;
    }
    let t = total.0 as i128;
    let mut parts = Vec::with_capacity(n);
    let mut rems = Vec::with_capacity(n);
    for (i, w) in ws.iter().enumerate() {
        let p = t * w;
        parts.push(p.div_euclid(sum_w));
        rems.push((p.rem_euclid(sum_w), i));
    }
    // Each floor loses less than one unit, so 0 <= left < n.
    let left = t - parts.iter().sum::<i128>();
    crate::sort::sort_by(&mut rems, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, idx) in rems.iter().take(left as usize) {
        parts[idx] += 1;
    }
    parts.into_iter().map(|p| Amount(p as i64)).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn from_f64_exact() {
        assert_eq!(Amount::from_f64(3122.8), Ok(Amount(31_228_000)));
        assert_eq!(Amount::from_f64(187.37), Ok(Amount(1_873_700)));
        assert_eq!(Amount::from_f64(0.1), Ok(Amount(1000)));
        assert_eq!(Amount::from_f64(-0.0125), Ok(Amount(-125)));
        assert_eq!(Amount::from_f64(6.00006), Err(AmountError::TooPrecise));
        assert_eq!(Amount::from_f64(f64::NAN), Err(AmountError::NotFinite));
        assert_eq!(Amount::from_f64(1e12), Err(AmountError::TooLargeForFloat));
        assert_eq!(
            Amount::from_f64(99_999_999_999.99),
            Ok(Amount(999_999_999_999_900))
        );
    }

    #[test]
    fn json_numbers_are_read_from_their_text_exactly() {
        let ok = |t: &str| Amount::parse_json_number(t).unwrap_or_else(|e| panic!("{t}: {e:?}"));
        assert_eq!(ok("150000000000.00"), Amount(1_500_000_000_000_000));
        assert_eq!(ok("922337203685477.5807"), Amount(i64::MAX));
        assert_eq!(ok("-922337203685477.5807"), Amount(-i64::MAX));
        assert_eq!(ok("-0.0125"), Amount(-125));
        assert_eq!(ok("1.25e3"), Amount(12_500_000));
        assert_eq!(ok("125E-4"), Amount(125));
        assert_eq!(ok("0.10000000000000000000"), Amount(1000));
        assert_eq!(ok("0e400"), Amount(0));
        assert_eq!(ok("-0"), Amount(0));
        assert_eq!(ok("12"), Amount(120_000));
        assert_eq!(ok("1e14"), Amount(1_000_000_000_000_000_000));
        let err = |t: &str| Amount::parse_json_number(t).err();
        assert_eq!(err("922337203685477.5808"), Some(AmountError::TooLarge));
        assert_eq!(
            err("-922337203685477.5808"),
            Some(AmountError::TooLarge),
            "no i64::MIN: its negation overflows"
        );
        assert_eq!(err("1e15"), Some(AmountError::TooLarge));
        assert_eq!(err("1e400"), Some(AmountError::TooLarge));
        assert_eq!(
            err(&format!("1{}", "0".repeat(400))),
            Some(AmountError::TooLarge)
        );
        assert_eq!(err("6750.0000000000001"), Some(AmountError::TooPrecise));
        assert_eq!(err("1e-400"), Some(AmountError::TooPrecise));
        assert_eq!(
            err("1e-99999999999999999999"),
            Some(AmountError::TooPrecise)
        );
        assert_eq!(err("1.00005"), Some(AmountError::TooPrecise));
        for junk in ["", "-", "1.", ".5", "1e", "1e+", "abc", "1x"] {
            assert_eq!(err(junk), Some(AmountError::NotFinite), "{junk:?}");
        }
    }

    #[test]
    fn currency_codes() {
        assert_eq!(currency_code(" usd "), Ok("USD".into()));
        assert_eq!(currency_code(""), Ok("".into()));
        assert_eq!(currency_code("EUR-OLD"), Ok("EUR-OLD".into()));
        assert_eq!(currency_code("ABCDEFGHIJ"), Ok("ABCDEFGHIJ".into()));
        for bad in ["ABCDEFGHIJK", "US D", "\u{20AC}", "U$D", "usd\u{0}"] {
            assert!(currency_code(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn budgets_and_balances() {
        let big = Amount(900_000_000_000_000 * SCALE); // 900,000,000,000,000.0000
        let mut b = MagnitudeBudget::default();
        assert!(b.take([(big, big)]));
        assert!(!b.take([(big, Amount(1))]), "a second one would overflow");
        assert!(
            b.take([(Amount(-1), Amount(1))]),
            "a refused take takes nothing"
        );
        assert!(b.take([(Amount(i64::MAX - big.0 - 1), Amount(0))]));
        assert!(!b.take([(Amount(0), Amount(i64::MAX))]));
        assert!(balances_within_range(Some(big), [big]));
        assert!(balances_within_range(None, [Amount(i64::MAX)]));
        assert!(!balances_within_range(None, [big, big]));
        assert!(
            !balances_within_range(Some(big), [Amount(-big.0)]),
            "the difference to spread is too large"
        );
    }

    #[test]
    fn display() {
        assert_eq!(Amount(12_345_000).to_string(), "1234.50");
        assert_eq!(Amount(-125).to_string(), "-0.0125");
        assert_eq!(Amount(1230).to_string(), "0.123");
        assert_eq!(Amount(0).to_string(), "0.00");
        assert_eq!(Amount(-50_000).to_string(), "-5.00");
    }

    #[test]
    fn parse_decimal() {
        assert_eq!(Amount::parse_decimal("1234.5"), Ok(Amount(12_345_000)));
        assert_eq!(Amount::parse_decimal("-0.0125"), Ok(Amount(-125)));
        assert_eq!(Amount::parse_decimal("1.23450"), Ok(Amount(12_345)));
        assert_eq!(
            Amount::parse_decimal("1.23456"),
            Err(AmountError::TooPrecise)
        );
        assert!(Amount::parse_decimal("abc").is_err());
        assert!(Amount::parse_decimal("").is_err());
    }

    #[test]
    fn allocate_exact() {
        let parts = allocate(Amount(10_000), &[Amount(1), Amount(1), Amount(1)]);
        assert_eq!(parts.iter().map(|a| a.0).sum::<i64>(), 10_000);
        assert_eq!(parts, vec![Amount(3334), Amount(3333), Amount(3333)]);
        let parts = allocate(Amount(-10_000), &[Amount(1), Amount(1), Amount(1)]);
        assert_eq!(parts.iter().map(|a| a.0).sum::<i64>(), -10_000);
        let parts = allocate(Amount(7), &[Amount(0), Amount(0)]);
        assert_eq!(parts.iter().map(|a| a.0).sum::<i64>(), 7);
    }

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        for v in [
            0,
            1,
            -1,
            10,
            100,
            1000,
            9999,
            10_000,
            -10_000,
            12_345,
            -7_500_000,
            1_234_510,
            999_999_999,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut out = Vec::new();
            Amount(v).write_decimal(&mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                Amount(v).to_string(),
                "{v}"
            );
        }
    }

    proptest! {
        #[test]
        fn decimal_writer_agrees_with_display(units in any::<i64>(), small in -100_000i64..100_000) {
            for v in [units, small] {
                let mut out = Vec::new();
                Amount(v).write_decimal(&mut out);
                prop_assert_eq!(String::from_utf8(out).unwrap(), Amount(v).to_string());
            }
        }

        #[test]
        fn decimal_roundtrip_through_f64(units in -9_999_999_999_999_999i64..9_999_999_999_999_999i64) {
            // Every decimal with 4 places below 10^11 survives text -> f64 -> Amount.
            let units = units % 999_999_999_999_999;
            let a = Amount(units);
            let text = a.to_string();
            let f: f64 = text.parse().unwrap();
            prop_assert_eq!(Amount::from_f64(f), Ok(a));
            prop_assert_eq!(Amount::parse_decimal(&text), Ok(a));
            prop_assert_eq!(Amount::parse_json_number(&text), Ok(a));
        }

        #[test]
        fn json_numbers_agree_with_integer_arithmetic(units in -i64::MAX..=i64::MAX, exp in -30i64..30) {
            // `{units}e{exp}` is units × 10^(exp+4) ten-thousandths: read exactly when that is a
            // whole number in range, refused otherwise.
            let text = format!("{units}e{exp}");
            let shift = exp + 4;
            let expected = if shift >= 0 {
                match (units as i128).checked_mul(10i128.pow(shift as u32)) {
                    Some(v) if v.abs() <= i64::MAX as i128 => Ok(Amount(v as i64)),
                    _ => Err(AmountError::TooLarge),
                }
            } else {
                let d = 10i128.pow((-shift) as u32);
                if units as i128 % d == 0 { Ok(Amount((units as i128 / d) as i64)) } else { Err(AmountError::TooPrecise) }
            };
            let expected = if units == 0 { Ok(Amount::ZERO) } else { expected };
            prop_assert_eq!(Amount::parse_json_number(&text), expected, "{}", text);
        }

        #[test]
        fn allocation_sums(total in -1_000_000_000i64..1_000_000_000, ws in proptest::collection::vec(-1_000_000i64..1_000_000, 1..20)) {
            let weights: Vec<Amount> = ws.into_iter().map(Amount).collect();
            let parts = allocate(Amount(total), &weights);
            prop_assert_eq!(parts.iter().map(|a| a.0 as i128).sum::<i128>(), total as i128);
        }
    }
}
