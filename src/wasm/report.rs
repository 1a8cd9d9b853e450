//! `Engine.report` and `Engine.reportJson`, with the report's TypeScript types.

use super::interop::{config_error, from_js, js_error, to_js};
use super::Engine;
use crate::error::ErrorCode;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_REPORT: &'static str = r#"
/** One exchange rate: 1 `from` = `rate` `to`, valid from `date` until the pair's next rate. */
export interface ExchangeRate { date: DateString; from: string; to: string; /** A decimal string, e.g. "0.9216" (never a number). */ rate: DecimalString }
/** Options of `engine.report()` (see src/report/REPORT.md). */
export interface ReportOptions {
  /** Required: the report's "today"; renewals, overdue charges and windows are relative to it. */
  asOf: DateString;
  /** Adds reporting-currency figures beside the originals; needs `rates` for other currencies. */
  reportingCurrency?: string;
  rates?: ExchangeRate[];
  /** Apps per topApps ranking, 1..100 (default 10). */
  topApps?: number;
  /** Renewals due within this many days of asOf, 1..366 (default 90). */
  renewalWindowDays?: number;
  /** A charge change beyond this many percent is a price change, 1..1000 (default 10). */
  priceChangePercent?: number;
  /** A usage app's latest month beyond this many percent off its trailing three-month mean is a `usageTrend` insight (1..1000, default 30). */
  usageTrendPercent?: number;
}
export type CadenceKind = "monthly" | "quarterly" | "annual" | "irregular" | "insufficientData";
export type InsightSeverity = "high" | "medium" | "low" | "info";
export type InsightKind =
  | "renewalDue" | "renewalPossible" | "priceIncrease" | "priceDecrease" | "seatsIncrease" | "seatsDecrease"
  | "usageTrend" | "expectedChargeMissing"
  | "overlappingApps" | "paidThroughMultipleVendors" | "channelPriceGap" | "possibleShadowSaas"
  | "usersWithoutEmail" | "duplicatedUserEmails" | "missingExchangeRates";
/** Spend in one original currency. */
export interface SpendByCurrency { currency: string; amountExcludingTax: DecimalString; amountIncludingTax: DecimalString; transactions: number }
/** The same spend converted to the reporting currency; `complete` is false when some transactions had no rate. */
export interface ReportingAmounts {
  currency: string; amountExcludingTax: DecimalString; amountIncludingTax: DecimalString;
  convertedTransactions: number; missingRateTransactions: number; complete: boolean;
}
export interface ReportCounts {
  transactions: number; included: number; matched: number; unmatched: number;
  ignoredByRule: number; afterAsOf: number; apps: number; unmatchedVendors: number;
}
export interface ReportCurrencyTotal {
  currency: string; transactions: number; matchedTransactions: number;
  amountExcludingTax: DecimalString; amountIncludingTax: DecimalString;
  matchedExcludingTax: DecimalString; unmatchedExcludingTax: DecimalString;
  ignoredTransactions: number; ignoredExcludingTax: DecimalString;
}
export interface ReportingTotal extends ReportingAmounts { matchedExcludingTax: DecimalString; unmatchedExcludingTax: DecimalString }
export interface TopApp { appId: string; appName: string; category: string; amountExcludingTax: DecimalString; sharePercent: string | null }
export interface TopApps { currency: string; reporting: boolean; apps: TopApp[] }
export interface AppChannel {
  channel: "direct" | "reseller" | "marketplace"; viaId: string | null; viaName: string | null;
  vendorNames: string[]; transactions: number; spend: SpendByCurrency[]; lastDate: DateString;
}
/** Billing of one app in one company and currency. */
export interface Subscription {
  companyId: string; companyName: string | null; currency: string;
  kind: CadenceKind; confidence: number;
  /** Months between renewals: 1, 3, 12, or the term a line states (24, 36); null when irregular or one charge with no stated term. */
  termMonths: number | null;
  charges: number; medianIntervalDays: number | null;
  lastChargeDate: DateString; lastChargeAmount: DecimalString; previousChargeAmount: DecimalString | null;
  nextExpected: DateString | null; overdue: boolean; annualEstimate: DecimalString | null;
  /** Seats on the latest charge whose line says them, and its price per seat per month; null when no line says seats. */
  seats: number | null; pricePerSeatMonthly: DecimalString | null;
  /** One point per charge (and channel) whose line says its seats, in date order. */
  seatHistory: SeatPoint[];
  transactionIds: string[];
}
/** The seats and price per seat of one charge. */
export interface SeatPoint {
  date: DateString; seats: number;
  /** Per seat for the period the line covers, as the line gives it. */
  unitPrice: DecimalString | null;
  /** The line's period, else the cadence's; termMonths its length (null: unknown, then no monthly price). */
  period: "monthly" | "quarterly" | "annual" | "multiYear" | null; termMonths: number | null;
  /** unitPrice / months of the period, rounded half to even to 0.0001. */
  pricePerSeatMonthly: DecimalString | null;
  channel: "direct" | "reseller" | "marketplace"; viaId: string | null; transactionId: string;
}
export interface AppSpend {
  appId: string; appName: string; category: string;
  /** The catalog's pricing model: price changes are told for seat and flat apps, spend trends for usage and mixed ones. */
  pricing: "seat" | "flat" | "usage" | "mixed";
  spend: SpendByCurrency[]; reporting: ReportingAmounts | null; transactions: number;
  vendors: string[]; channels: AppChannel[]; companyIds: string[];
  firstDate: DateString; lastDate: DateString; active: boolean;
  /** The main subscription (most charges); null when the app has no positive charge. */
  cadence: Subscription | null;
  subscriptions: Subscription[];
  /** Seats and price per seat per month of the main subscription (`cadence`), when its lines say seats. */
  seats: number | null;
  pricePerSeatMonthly: { currency: string; amount: DecimalString } | null;
  transactionIds: string[];
}
export interface CategorySpend { category: string; appIds: string[]; spend: SpendByCurrency[]; reporting: ReportingAmounts | null; transactions: number }
export interface VendorSpend {
  vendorName: string; vendorIds: string[]; companyIds: string[]; appIds: string[];
  matchedTransactions: number; unmatchedTransactions: number;
  spend: SpendByCurrency[]; reporting: ReportingAmounts | null; transactions: number;
}
export interface CompanySpend {
  companyId: string; companyName: string | null; spend: SpendByCurrency[]; reporting: ReportingAmounts | null;
  transactions: number; matchedTransactions: number;
}
export interface MonthSpend {
  month: string; currency: string; reporting: boolean;
  amountExcludingTax: DecimalString; amountIncludingTax: DecimalString;
  matchedExcludingTax: DecimalString; unmatchedExcludingTax: DecimalString; transactions: number;
  apps: Record<string, DecimalString>; categories: Record<string, DecimalString>;
}
export interface Renewal {
  appId: string; appName: string; companyId: string; companyName: string | null; currency: string;
  cadence: CadenceKind;
  /** Months the term runs: 3, 12, or what the line states (24, 36). */
  termMonths: number;
  /** False: a single charge assumed annual. */
  confirmed: boolean;
  /** 0..1, display only. */
  confidence: number;
  /** What says so: the charge dates ("charged annually (2 charge(s): ...)"), the line's words ("the line says \"annual\""). */
  evidence: string[];
  dueDate: DateString; daysUntil: number;
  /** Due within renewalWindowDays; every annual subscription is listed, only these have an insight. */
  inWindow: boolean;
  expectedAmount: DecimalString; insightId: string | null; transactionIds: string[];
}
export interface UnmatchedVendor {
  vendorName: string; vendorIds: string[]; companyIds: string[];
  spend: SpendByCurrency[]; reporting: ReportingAmounts | null; transactions: number; months: number;
  firstDate: DateString; lastDate: DateString; cadence: CadenceKind;
  possibleShadowSaas: boolean; signals: string[]; descriptions: string[]; transactionIds: string[];
}
export interface InsightAmount {
  label: "latest" | "previous" | "baseline" | "expected" | "total" | "annualEstimate" | "latestPerSeat" | "previousPerSeat";
  currency: string; amount: DecimalString; subject?: string;
}
export interface Insight {
  /** Stable across runs: a hash of the kind and its subject. */
  id: string; kind: InsightKind; severity: InsightSeverity; title: string; message: string;
  appId: string | null; appIds: string[]; vendorName: string | null; category: string | null;
  function: string | null; companyId: string | null; date: DateString | null;
  amounts: InsightAmount[]; changePercent: string | null;
  /** Seat insights and a price-per-seat change: seats on the latest charge and on the one compared with. */
  seats: number | null; previousSeats: number | null;
  transactionIds: string[]; userIds: string[];
}
export interface ReportUserRef { id: string; userName: string | null; displayName: string | null; status: "active" | "inactive"; invalidEmail: string | null }
export interface ReportUsers {
  total: number; persons: number; nonHuman: number; active: number; inactive: number; activeWithoutEmail: number;
  withoutEmail: ReportUserRef[];
  duplicatedEmails: { email: string; userIds: string[]; userNames: string[] }[];
}
export interface MissingRate { from: string; to: string; firstDate: DateString; lastDate: DateString; transactions: number }
export interface QualityIssue { code: string; severity: "error" | "warning" | "info"; count: number; message: string; transactionIds: string[] }
export interface DataQuality { diagnosticsByCode: Record<string, number>; diagnosticsSuppressed: number; missingRates: MissingRate[]; issues: QualityIssue[] }
/** `engine.report()` and report.json: see src/report/REPORT.md. */
export interface Report {
  version: 1;
  asOf: DateString;
  windowStart: DateString | null;
  lineMode: LineModeName;
  reportingCurrency: string | null;
  rankingCurrency: { currency: string; reporting: boolean } | null;
  counts: ReportCounts;
  totals: ReportCurrencyTotal[];
  reportingTotal: ReportingTotal | null;
  topApps: TopApps[];
  apps: AppSpend[];
  categories: CategorySpend[];
  vendors: VendorSpend[];
  companies: CompanySpend[];
  months: MonthSpend[];
  renewals: Renewal[];
  unmatched: UnmatchedVendor[];
  insights: Insight[];
  users: ReportUsers;
  dataQuality: DataQuality;
  /** Present when some transactions have no currency: print `label` where the currency goes. */
  currencyMissing?: { transactions: number; label: string; remedy: string };
}
"#;

fn report_options(options: JsValue) -> Result<crate::report::ReportOptions, JsValue> {
    let v: serde_json::Value = from_js(options, ErrorCode::InvalidOption, "report options")?;
    crate::report::ReportOptions::from_json(&v).map_err(config_error)
}

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// Spend per app, category, vendor, company and month, cadences, renewals and insights, as
    /// of `options.asOf`. Throws (with `code`) only for invalid options.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn report(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ReportOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let o = report_options(options)?;
        let r = self.core.report(&o).map_err(config_error)?;
        to_js(&r)
    }

    /// The report as JSON text (for writing `report.json`).
    #[wasm_bindgen(js_name = reportJson)]
    pub fn report_json(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ReportOptions")] options: JsValue,
    ) -> Result<String, JsValue> {
        let o = report_options(options)?;
        let r = self.core.report(&o).map_err(config_error)?;
        serde_json::to_string(&r).map_err(|e| js_error(ErrorCode::Internal, &e.to_string(), None))
    }
}
