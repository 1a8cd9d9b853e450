//! The sync checkpoint: small versioned JSON, rewritten after every page.
//!
//! ```json
//! {"format": "bc-spend-sync-checkpoint", "version": 1, "environment": "tenant/production",
//!  "last": {"runs": 3, "windowStart": "2025-11-26", "creditMemos": false,
//!           "companies": [{"id": "…", "name": "CRONUS",
//!                          "invoices": {"complete": true, "windowStart": "2025-11-26",
//!                                       "watermark": "2026-11-26T08:00:00.000Z"},
//!                          "creditMemos": {"complete": false}}]},
//!  "run": {"number": 4, "startedAt": "…", "windowStart": "…", "journalLength": 17,
//!          "streams": [{"id": 5, "kind": "purchaseInvoices", "company": "…",
//!                       "window": {"postingFrom": "2025-11-26", "postingTo": "2026-03-28"},
//!                       "next": "https://…$skiptoken=…", "pages": 3,
//!                       "seenTo": "2026-01-14", …}], …}}
//! ```
//! `last` is what the last complete run leaves for the next (per company and entity: read
//! completely from `windowStart`, and the watermark of the next incremental read). `run` is the
//! run in progress (absent once it finished): the cursor of every read and `journalLength`, the
//! number of pages ingested so far, which the host's journal must match. The engine's state is
//! not in the checkpoint; the host keeps it next to it (see `www/src/sync.js`).
//!
//! A checkpoint is untrusted input: company ids (which go into URLs) must be GUIDs, sizes and
//! dates are checked, and anything else is a `CHECKPOINT_INVALID` error naming the path.

use super::{
    is_guid, CompanyMemory, CompanyRun, Failure, Last, Mark, Mode, Run, Status, Stream, StreamKind,
    StreamState, UsersStatus, Window, MAX_PAGE_SIZE,
};
use crate::date::{Date, Timestamp};
use crate::error::ConfigError;
use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};

pub const CHECKPOINT_FORMAT: &str = "bc-spend-sync-checkpoint";
pub const CHECKPOINT_VERSION: u32 = 1;
const MAX_STREAMS: usize = 100_000;
const MAX_LINK: usize = 16_384;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CheckpointS {
    format: String,
    version: u32,
    environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last: Option<LastS>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<RunS>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LastS {
    runs: u64,
    window_start: String,
    credit_memos: bool,
    #[serde(default)]
    companies: Vec<MemoryS>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MemoryS {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default)]
    invoices: MarkS,
    #[serde(default)]
    credit_memos: MarkS,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MarkS {
    #[serde(default)]
    complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    watermark: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RunS {
    number: u64,
    started_at: String,
    window_start: String,
    credit_memos: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    selection: Option<Vec<String>>,
    journal_length: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count_supported: Option<bool>,
    companies_listed: bool,
    #[serde(default)]
    listed: Vec<ListedS>,
    #[serde(default)]
    companies: Vec<CompanyRunS>,
    #[serde(default)]
    not_found: Vec<String>,
    users: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    users_error: Option<Failure>,
    #[serde(default)]
    streams: Vec<StreamS>,
    next_stream_id: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListedS {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompanyRunS {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<Failure>,
    invoices: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credit_memos: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StreamS {
    id: u32,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window: Option<WindowS>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    page_size: u32,
    #[serde(default)]
    pages: u32,
    #[serde(default)]
    records: u64,
    #[serde(default)]
    retries: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    #[serde(default)]
    counted: bool,
    state: String,
    /// The latest posting date read (see `Stream::seen_to`): a split after a resume must not
    /// take a date the read reached before the interruption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seen_to: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    no_split: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    recount: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WindowS {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    posting_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    posting_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modified_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modified_until: Option<String>,
}

#[derive(Deserialize)]
struct Head {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// A checkpoint as read.
pub struct Checkpoint {
    pub environment: String,
    pub last: Option<Last>,
    pub run: Option<Run>,
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::new(
        ErrorCode::CheckpointInvalid,
        format!("the sync checkpoint is not valid: {}", message.into()),
    )
    .at(path)
}

fn date(path: &str, s: &str) -> Result<Date, ConfigError> {
    match Date::parse_bc(s) {
        Ok(Some(d)) if s.len() == 10 => Ok(d),
        _ => Err(invalid(
            path,
            format!(
                "{:?} is not a date written YYYY-MM-DD",
                s.chars().take(40).collect::<String>()
            ),
        )),
    }
}

fn timestamp(path: &str, s: &str) -> Result<Timestamp, ConfigError> {
    match Timestamp::parse_bc(s) {
        Ok(Some(t)) => Ok(t),
        _ => Err(invalid(
            path,
            format!(
                "{:?} is not a UTC timestamp",
                s.chars().take(40).collect::<String>()
            ),
        )),
    }
}

fn company_id(path: &str, s: &str) -> Result<String, ConfigError> {
    if !is_guid(s) {
        return Err(invalid(
            path,
            format!(
                "company id {:?} is not a GUID",
                s.chars().take(60).collect::<String>()
            ),
        ));
    }
    Ok(s.to_ascii_lowercase())
}

fn mark(path: &str, m: MarkS) -> Result<Mark, ConfigError> {
    Ok(Mark {
        complete: m.complete,
        window_start: m
            .window_start
            .map(|w| date(&format!("{path}/windowStart"), &w))
            .transpose()?,
        watermark: m
            .watermark
            .map(|w| timestamp(&format!("{path}/watermark"), &w))
            .transpose()?,
    })
}

fn mark_s(m: &Mark) -> MarkS {
    MarkS {
        complete: m.complete,
        window_start: m.window_start.map(|d| d.to_string()),
        watermark: m.watermark.map(|t| t.to_string()),
    }
}

fn text(path: &str, s: String, max: usize) -> Result<String, ConfigError> {
    if s.len() > max {
        return Err(invalid(path, format!("text longer than {max} bytes")));
    }
    Ok(s)
}

/// Reads a checkpoint written by [`write`].
pub fn parse(text_in: &str) -> Result<Checkpoint, ConfigError> {
    let head: Head = serde_json::from_str(text_in).map_err(|e| ConfigError::new(ErrorCode::CheckpointInvalid, format!("the sync checkpoint is not JSON: {e}; pass the checkpoint a previous sync wrote, or none")))?;
    match head.format.as_ref().and_then(|f| f.as_str()) {
        Some(CHECKPOINT_FORMAT) => {}
        other => {
            return Err(ConfigError::new(
                ErrorCode::CheckpointForeign,
                format!("this is not a bc-spend sync checkpoint (format {:?}); pass the checkpoint a previous sync wrote, or none", other.unwrap_or("none").chars().take(60).collect::<String>()),
            )
            .at("format"))
        }
    }
    match head.version.as_ref().and_then(|v| v.as_u64()) {
        Some(v) if v == CHECKPOINT_VERSION as u64 => {}
        Some(v) if v > CHECKPOINT_VERSION as u64 => {
            return Err(ConfigError::new(ErrorCode::CheckpointVersion, format!("the sync checkpoint has version {v}, written by a newer bc-spend; this one reads version {CHECKPOINT_VERSION}. Upgrade bc-spend, or sync without the checkpoint.")).at("version"))
        }
        _ => return Err(invalid("version", format!("\"version\" must be {CHECKPOINT_VERSION}"))),
    }
    let c: CheckpointS = serde_json::from_str(text_in).map_err(|e| invalid("", e.to_string()))?;
    let last = match c.last {
        None => None,
        Some(l) => {
            let mut companies = Vec::with_capacity(l.companies.len());
            for (i, m) in l.companies.into_iter().enumerate() {
                let p = format!("last/companies/{i}");
                companies.push(CompanyMemory {
                    id: company_id(&format!("{p}/id"), &m.id)?,
                    name: m
                        .name
                        .map(|n| text(&format!("{p}/name"), n, 1000))
                        .transpose()?,
                    invoices: mark(&format!("{p}/invoices"), m.invoices)?,
                    credit_memos: mark(&format!("{p}/creditMemos"), m.credit_memos)?,
                });
            }
            Some(Last {
                runs: l.runs,
                window_start: date("last/windowStart", &l.window_start)?,
                credit_memos: l.credit_memos,
                companies,
            })
        }
    };
    let run = c.run.map(read_run).transpose()?;
    Ok(Checkpoint {
        environment: text("environment", c.environment, 400)?,
        last,
        run,
    })
}

fn read_run(r: RunS) -> Result<Run, ConfigError> {
    if r.streams.len() > MAX_STREAMS {
        return Err(invalid("run/streams", "too many streams"));
    }
    let users = match r.users.as_str() {
        "pending" => UsersStatus::Pending,
        "done" => UsersStatus::Done,
        "failed" => UsersStatus::Failed,
        "skipped" => UsersStatus::Skipped,
        other => {
            return Err(invalid(
                "run/users",
                format!("unknown users status {other:?}"),
            ))
        }
    };
    let mut listed = Vec::with_capacity(r.listed.len());
    for (i, l) in r.listed.into_iter().enumerate() {
        let p = format!("run/listed/{i}");
        // Listed ids are kept as BC sent them; only GUIDs are ever read (see finalize_companies).
        listed.push((
            text(&format!("{p}/id"), l.id.to_ascii_lowercase(), 250)?,
            text(&format!("{p}/name"), l.name, 1000)?,
            l.display_name
                .map(|d| text(&format!("{p}/displayName"), d, 1000))
                .transpose()?,
        ));
    }
    let mode = |path: &str, s: &str| match s {
        "full" => Ok(Mode::Full),
        "incremental" => Ok(Mode::Incremental),
        other => Err(invalid(path, format!("unknown mode {other:?}"))),
    };
    let mut companies = Vec::with_capacity(r.companies.len());
    for (i, c) in r.companies.into_iter().enumerate() {
        let p = format!("run/companies/{i}");
        let status = match c.status.as_str() {
            "running" => Status::Running,
            "done" => Status::Done,
            "failed" => Status::Failed,
            other => {
                return Err(invalid(
                    format!("{p}/status"),
                    format!("unknown status {other:?}"),
                ))
            }
        };
        // A company that was never read may carry a non-GUID id (it failed for that reason).
        let id = if status == Status::Failed {
            text(&format!("{p}/id"), c.id.to_ascii_lowercase(), 250)?
        } else {
            company_id(&format!("{p}/id"), &c.id)?
        };
        companies.push(CompanyRun {
            id,
            name: text(&format!("{p}/name"), c.name, 1000)?,
            display_name: c
                .display_name
                .map(|d| text(&format!("{p}/displayName"), d, 1000))
                .transpose()?,
            status,
            error: c.error,
            invoices: mode(&format!("{p}/invoices"), &c.invoices)?,
            credit_memos: c
                .credit_memos
                .map(|m| mode(&format!("{p}/creditMemos"), &m))
                .transpose()?,
        });
    }
    let mut streams = Vec::with_capacity(r.streams.len());
    for (i, s) in r.streams.into_iter().enumerate() {
        let p = format!("run/streams/{i}");
        let kind = StreamKind::parse(&s.kind)
            .ok_or_else(|| invalid(format!("{p}/kind"), format!("unknown kind {:?}", s.kind)))?;
        let state = match s.state.as_str() {
            "pending" => StreamState::Pending,
            "done" => StreamState::Done,
            "failed" => StreamState::Failed,
            "cancelled" => StreamState::Cancelled,
            other => {
                return Err(invalid(
                    format!("{p}/state"),
                    format!("unknown state {other:?}"),
                ))
            }
        };
        let company = s
            .company
            .map(|c| company_id(&format!("{p}/company"), &c))
            .transpose()?;
        if (kind == StreamKind::Companies) != company.is_none() {
            return Err(invalid(
                format!("{p}/company"),
                "only the company list is read without a company",
            ));
        }
        let window =
            match s.window {
                None => None,
                Some(w) => Some(
                    match (
                        w.posting_from,
                        w.posting_to,
                        w.modified_after,
                        w.modified_until,
                    ) {
                        (Some(from), to, None, None) => Window::Posting {
                            from: date(&format!("{p}/window/postingFrom"), &from)?,
                            to: to
                                .map(|t| date(&format!("{p}/window/postingTo"), &t))
                                .transpose()?,
                        },
                        (None, None, Some(after), until) => Window::Modified {
                            after: timestamp(&format!("{p}/window/modifiedAfter"), &after)?,
                            until: until
                                .map(|u| timestamp(&format!("{p}/window/modifiedUntil"), &u))
                                .transpose()?,
                        },
                        _ => return Err(invalid(
                            format!("{p}/window"),
                            "a window is postingFrom[/postingTo] or modifiedAfter[/modifiedUntil]",
                        )),
                    },
                ),
            };
        if kind.is_document() != window.is_some() {
            return Err(invalid(
                format!("{p}/window"),
                "document reads, and only they, have a window",
            ));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&s.page_size) {
            return Err(invalid(
                format!("{p}/pageSize"),
                format!("page size must be from 1 to {MAX_PAGE_SIZE}"),
            ));
        }
        if s.next
            .as_ref()
            .is_some_and(|n| n.is_empty() || n.len() > MAX_LINK)
        {
            return Err(invalid(
                format!("{p}/next"),
                "a next link must be a URL of at most 16 KB",
            ));
        }
        streams.push(Stream {
            id: s.id,
            kind,
            company,
            window,
            next: s.next,
            page_size: s.page_size,
            pages: s.pages,
            records: s.records,
            retries: s.retries,
            count: s.count,
            counted: s.counted,
            state,
            seen_to: s
                .seen_to
                .as_ref()
                .map(|d| date(&format!("{p}/seenTo"), d))
                .transpose()?,
            // A read that returned pages before its checkpoint said how far they reached (one
            // written before reads were split) is never split: a split date could fall before a
            // date it already read.
            no_split: s.no_split || (s.seen_to.is_none() && s.records > 0),
            recount: s.recount,
            in_flight: None,
        });
    }
    if streams.iter().any(|s| s.id >= r.next_stream_id) {
        return Err(invalid(
            "run/nextStreamId",
            "a stream id is not below nextStreamId",
        ));
    }
    Ok(Run {
        number: r.number,
        started_at: timestamp("run/startedAt", &r.started_at)?,
        window_start: date("run/windowStart", &r.window_start)?,
        credit_memos: r.credit_memos,
        line_mode: r.line_mode,
        selection: r.selection,
        journal_length: r.journal_length,
        count_supported: r.count_supported,
        companies_listed: r.companies_listed,
        listed,
        companies,
        not_found: r.not_found,
        users,
        users_error: r.users_error,
        streams,
        next_stream_id: r.next_stream_id,
    })
}

fn window_s(w: &Window) -> WindowS {
    match *w {
        Window::Posting { from, to } => WindowS {
            posting_from: Some(from.to_string()),
            posting_to: to.map(|d| d.to_string()),
            modified_after: None,
            modified_until: None,
        },
        Window::Modified { after, until } => WindowS {
            posting_from: None,
            posting_to: None,
            modified_after: Some(after.to_string()),
            modified_until: until.map(|t| t.to_string()),
        },
    }
}

/// The checkpoint text. Streams replaced by a split are left out; a stream in flight is
/// written as pending at its last cursor (its page was not ingested).
pub fn write(environment: &str, last: Option<&Last>, run: Option<&Run>) -> String {
    let c = CheckpointS {
        format: CHECKPOINT_FORMAT.into(),
        version: CHECKPOINT_VERSION,
        environment: environment.into(),
        last: last.map(|l| LastS {
            runs: l.runs,
            window_start: l.window_start.to_string(),
            credit_memos: l.credit_memos,
            companies: l
                .companies
                .iter()
                .map(|m| MemoryS {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    invoices: mark_s(&m.invoices),
                    credit_memos: mark_s(&m.credit_memos),
                })
                .collect(),
        }),
        run: run.map(|r| RunS {
            number: r.number,
            started_at: r.started_at.to_string(),
            window_start: r.window_start.to_string(),
            credit_memos: r.credit_memos,
            line_mode: r.line_mode.clone(),
            selection: r.selection.clone(),
            journal_length: r.journal_length,
            count_supported: r.count_supported,
            companies_listed: r.companies_listed,
            listed: r
                .listed
                .iter()
                .map(|(id, name, d)| ListedS {
                    id: id.clone(),
                    name: name.clone(),
                    display_name: d.clone(),
                })
                .collect(),
            companies: r
                .companies
                .iter()
                .map(|c| CompanyRunS {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    display_name: c.display_name.clone(),
                    status: c.status.as_str().into(),
                    error: c.error.clone(),
                    invoices: c.invoices.as_str().into(),
                    credit_memos: c.credit_memos.map(|m| m.as_str().into()),
                })
                .collect(),
            not_found: r.not_found.clone(),
            users: r.users.as_str().into(),
            users_error: r.users_error.clone(),
            streams: r
                .streams
                .iter()
                .filter(|s| s.state != StreamState::Split)
                .map(|s| StreamS {
                    id: s.id,
                    kind: s.kind.as_str().into(),
                    company: s.company.clone(),
                    window: s.window.as_ref().map(window_s),
                    next: s.next.clone(),
                    page_size: s.page_size,
                    pages: s.pages,
                    records: s.records,
                    retries: s.retries,
                    count: s.count,
                    counted: s.counted,
                    state: s.state.as_str().into(),
                    seen_to: s.seen_to.map(|d| d.to_string()),
                    no_split: s.no_split,
                    recount: s.recount,
                })
                .collect(),
            next_stream_id: r.next_stream_id,
        }),
    };
    serde_json::to_string(&c).unwrap_or_default()
}
