//! `Engine::report`: the report of what the engine holds.

use super::{build_report, Report, ReportContext, ReportOptions, ReportSettings};
use crate::engine::Engine;
use crate::error::ConfigError;
use crate::matching::normalize::field_domain;
use std::collections::BTreeMap;

impl Engine {
    /// The report of the transactions and users held, as of `opts.asOf`. Invalid options are a
    /// [`ConfigError`] (`MISSING_OPTION`, `INVALID_OPTION`); data problems never are.
    pub fn report(&mut self, opts: &ReportOptions) -> Result<Report, ConfigError> {
        let settings = ReportSettings::new(opts)?;
        let summary = self.summary();
        let (users, _) = self.users();
        let ctx = ReportContext {
            line_mode: summary.line_mode,
            window_start: Some(summary.window_start),
            diagnostics_by_code: summary.diagnostics_by_code,
            diagnostics_suppressed: summary.diagnostics_suppressed,
            contact_email_field: self.contact_email_field(),
            vendor_domains: self.vendor_domains(),
            catalog: Some(self.matcher().catalog().clone()),
        };
        Ok(build_report(self.transactions(), &users, &ctx, &settings))
    }
}

impl Engine {
    /// Each vendor card's website domain, else its e-mail's unless that is a free mail provider
    /// (a gmail address says nothing of what the vendor sells).
    fn vendor_domains(&self) -> BTreeMap<(String, String), String> {
        let lx = crate::matching::lexicon::lexicon();
        let mut out = BTreeMap::new();
        for (company, state) in &self.companies {
            for (id, v) in &state.vendors {
                let website = v.website.as_deref().and_then(field_domain);
                let email = v
                    .email
                    .as_deref()
                    .and_then(field_domain)
                    .filter(|d| !lx.freemail.contains(d));
                if let Some(d) = website.or(email) {
                    out.insert((company.clone(), id.to_string()), d);
                }
            }
        }
        out
    }
}
