//! `Engine::report`: the report of what the engine holds.

use super::{build_report, Report, ReportContext, ReportOptions, ReportSettings};
use crate::engine::Engine;
use crate::error::ConfigError;

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
        };
        Ok(build_report(self.transactions(), &users, &ctx, &settings))
    }
}
