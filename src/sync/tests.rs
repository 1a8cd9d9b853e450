use super::*;
use crate::engine::EngineOptions;
use crate::error::ErrorCode;

const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";
const STARTED: &str = "2026-11-26T09:00:00Z";

fn config() -> SyncConfig {
    SyncConfig {
        environment: "t/prod".into(),
        started_at: STARTED.into(),
        connected_at: Some("2026-11-26".into()),
        ..Default::default()
    }
}

fn companies_page(ids: &[(&str, &str)]) -> String {
    let v: Vec<String> = ids
        .iter()
        .map(|(id, name)| {
            format!(
                r#"{{"id":"{}","name":"{name}","displayName":"{name} Inc."}}"#,
                id.to_uppercase()
            )
        })
        .collect();
    format!(r#"{{"value":[{}]}}"#, v.join(","))
}

fn list(plan: &mut SyncPlan, ids: &[(&str, &str)]) {
    let t = plan.next_task().unwrap();
    assert_eq!(t.entity, "companies");
    let text = companies_page(ids);
    let ack = plan.page_done(
        t.id,
        PageInfo {
            text: Some(&text),
            ..Default::default()
        },
    );
    assert!(ack.ingest && ack.companies_listed);
}

fn drain(plan: &mut SyncPlan) -> Vec<Task> {
    std::iter::from_fn(|| plan.next_task()).collect()
}

#[test]
fn first_run_reads_everything_in_segments() {
    let mut plan = SyncPlan::new(config(), None).unwrap();
    assert_eq!(plan.window_start().to_string(), "2025-11-26");
    assert!(!plan.resumed());
    // Nothing but the company list until it is read.
    let t = plan.next_task().unwrap();
    assert!(plan.next_task().is_none());
    let text = companies_page(&[(A, "Alpha"), (B, "Beta")]);
    plan.page_done(
        t.id,
        PageInfo {
            text: Some(&text),
            ..Default::default()
        },
    );
    let tasks = drain(&mut plan);
    // At least as many long reads as requests in flight (5), the same number for each of the 2
    // companies: 3 date segments each, plus GL setup and vendors each, plus users.
    assert_eq!(tasks.len(), 11);
    let inv: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.entity == "purchaseInvoices")
        .collect();
    assert_eq!(inv.len(), 6);
    assert_eq!(
        inv.iter()
            .filter(|t| t.company_id.as_deref() == Some(A))
            .count(),
        3
    );
    assert_eq!(
        inv.iter()
            .filter(|t| t.company_id.as_deref() == Some(B))
            .count(),
        3
    );
    // 366 days to the end of the run's day in three segments of 122 days; the last is open.
    let first = inv
        .iter()
        .find(|t| t.company_id.as_deref() == Some(A))
        .unwrap();
    assert!(
        first
            .url
            .contains("postingDate%20ge%202025-11-26%20and%20postingDate%20lt%202026-03-28&"),
        "{}",
        first.url
    );
    assert!(
        inv.iter()
            .filter(|t| t.company_id.as_deref() == Some(A))
            .any(|t| t.url.contains("postingDate%20ge%202026-07-28&")),
        "open last segment"
    );
    let b: Vec<&&Task> = inv
        .iter()
        .filter(|t| t.company_id.as_deref() == Some(B))
        .collect();
    assert!(
        b[0].url
            .contains("postingDate%20ge%202025-11-26%20and%20postingDate%20lt%202026-03-28&"),
        "{}",
        b[0].url
    );
    assert!(inv.iter().all(|t| t.url.contains("$count=true")
        && t.first_page
        && t.page_size == DEFAULT_PAGE_SIZE));
    // Long reads go first, one-page reads last.
    assert!(tasks[..6].iter().all(|t| t.entity == "purchaseInvoices"));
    let users: Vec<&Task> = tasks.iter().filter(|t| t.entity == "users").collect();
    assert_eq!(users.len(), 1);
    assert_eq!(
        users[0].url,
        format!("api/microsoft/automation/v2.0/companies({A})/users")
    );
    assert!(tasks.iter().any(|t| t.url
        == format!("api/v2.0/companies({B})/vendors?$select=id,number,displayName,email,website")));
    assert_eq!(plan.progress().companies_total, Some(2));
    assert_eq!(plan.progress().in_flight, 11);
}

#[test]
fn selection_by_name_or_id_and_unknown_names() {
    let mut c = config();
    c.companies = Some(vec!["beta inc.".into(), "Nowhere".into(), A.to_uppercase()]);
    c.concurrency = Some(2);
    c.credit_memos = Some(true);
    let mut plan = SyncPlan::new(c, None).unwrap();
    list(
        &mut plan,
        &[
            (A, "Alpha"),
            (B, "Beta"),
            ("cccccccc-0000-4000-8000-000000000003", "Gamma"),
        ],
    );
    let tasks = drain(&mut plan);
    assert!(tasks
        .iter()
        .all(|t| t.company_id.as_deref() != Some("cccccccc-0000-4000-8000-000000000003")));
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t.entity == "purchaseCreditMemos")
            .count(),
        2
    );
    // 2 requests in flight over 2 companies: one read each.
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t.entity == "purchaseInvoices")
            .count(),
        2
    );
    assert_eq!(plan.run.not_found, vec!["Nowhere".to_string()]);
}

#[test]
fn options_are_checked() {
    let bad = |f: fn(&mut SyncConfig)| {
        let mut c = config();
        f(&mut c);
        SyncPlan::new(c, None).err().expect("must fail")
    };
    assert_eq!(
        bad(|c| c.connected_at = None).code,
        ErrorCode::MissingOption
    );
    assert_eq!(
        bad(|c| c.window_start = Some("26/11/2025".into())).code,
        ErrorCode::InvalidOption
    );
    assert_eq!(
        bad(|c| c.concurrency = Some(6)).path.as_deref(),
        Some("concurrency")
    );
    assert_eq!(
        bad(|c| c.page_size = Some(0)).path.as_deref(),
        Some("pageSize")
    );
    assert_eq!(
        bad(|c| c.companies = Some(vec![" ".into()]))
            .path
            .as_deref(),
        Some("companies")
    );
    assert_eq!(
        bad(|c| c.started_at = "yesterday".into()).path.as_deref(),
        Some("startedAt")
    );
    assert_eq!(
        bad(|c| c.line_mode = Some("weekly".into())).path.as_deref(),
        Some("lineMode")
    );
    let mut c = config();
    c.window_start = Some("2026-01-01".into());
    assert_eq!(
        SyncPlan::new(c, None).unwrap().window_start().to_string(),
        "2026-01-01"
    );
}

#[test]
fn pages_follow_next_links_until_the_company_is_done() {
    let mut c = config();
    c.segments_per_company = Some(1);
    let mut plan = SyncPlan::new(c, None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let tasks = drain(&mut plan);
    assert_eq!(tasks.len(), 4);
    let inv = tasks
        .iter()
        .find(|t| t.entity == "purchaseInvoices")
        .unwrap();
    // One page in flight per stream.
    let ack = plan.page_done(
        inv.id,
        PageInfo {
            next_link: Some("https://api/next?$skiptoken=1"),
            count: Some(1700),
            records: Some(500),
            ..Default::default()
        },
    );
    assert!(ack.ingest && !ack.stream_done);
    let next = plan.next_task().unwrap();
    assert_eq!(next.url, "https://api/next?$skiptoken=1");
    assert!(!next.first_page);
    assert_eq!(next.page_size, 500);
    assert_eq!(
        plan.progress().remaining_pages,
        Some(2 + 3),
        "two invoice pages (500, then the last 700) and three one-page reads"
    );
    for t in tasks.iter().filter(|t| t.entity != "purchaseInvoices") {
        let ack = plan.page_done(t.id, PageInfo::default());
        assert!(ack.stream_done);
        assert_eq!(ack.company_done, None);
    }
    plan.page_done(
        next.id,
        PageInfo {
            next_link: Some("https://api/next?$skiptoken=2"),
            records: Some(500),
            ..Default::default()
        },
    );
    let last = plan.next_task().unwrap();
    assert_eq!(
        last.page_size, 700,
        "the rest in one page, not 500 and then 200"
    );
    let ack = plan.page_done(
        last.id,
        PageInfo {
            records: Some(700),
            ..Default::default()
        },
    );
    assert_eq!(ack.company_done.as_deref(), Some(A));
    assert!(plan.is_finished());
    assert_eq!(plan.journal_length(), 7);
    // Stale or unknown task ids change nothing.
    assert!(!plan.page_done(last.id, PageInfo::default()).ingest);
    assert_eq!(plan.task_failed(999, Failure::default()).action, "ignored");
}

fn timeout() -> Failure {
    Failure {
        code: "BC_TIMEOUT".into(),
        message: "504".into(),
        narrowable: true,
        status: Some(504),
    }
}

#[test]
fn gateway_timeouts_narrow_the_query() {
    let mut c = config();
    c.segments_per_company = Some(1);
    let mut plan = SyncPlan::new(c, None).unwrap();
    list(&mut plan, &[(A, "Alpha"), (B, "Beta")]);
    let tasks = drain(&mut plan);
    let inv = tasks
        .iter()
        .find(|t| t.entity == "purchaseInvoices" && t.company_id.as_deref() == Some(A))
        .unwrap();
    let d = plan.task_failed(inv.id, timeout());
    assert_eq!(d.action, "narrowed");
    let halves = drain(&mut plan);
    assert_eq!(halves.len(), 2);
    assert!(
        halves[0]
            .url
            .contains("postingDate%20ge%202025-11-26%20and%20postingDate%20lt%202026-05-28&"),
        "{}",
        halves[0].url
    );
    assert!(
        halves[1].url.contains("postingDate%20ge%202026-05-28&"),
        "{}",
        halves[1].url
    );
    // A later page times out: ask for smaller pages at the same cursor.
    plan.page_done(
        halves[0].id,
        PageInfo {
            next_link: Some("https://api/n1"),
            ..Default::default()
        },
    );
    let n1 = plan.next_task().unwrap();
    assert_eq!(plan.task_failed(n1.id, timeout()).action, "narrowed");
    let again = plan.next_task().unwrap();
    assert_eq!(
        (again.url.as_str(), again.page_size),
        ("https://api/n1", DEFAULT_PAGE_SIZE / 4)
    );
    // Down to the minimum page size, then retries, then the company fails; the other goes on.
    let mut t = again;
    let mut actions = Vec::new();
    loop {
        let d = plan.task_failed(t.id, timeout());
        actions.push(d.action);
        if d.action == "companyFailed" {
            assert_eq!(d.company_id.as_deref(), Some(A));
            break;
        }
        t = plan.next_task().unwrap();
        assert_eq!(t.url, "https://api/n1");
    }
    assert_eq!(
        actions,
        [
            "narrowed",
            "narrowed",
            "retry",
            "retry",
            "retry",
            "companyFailed"
        ]
    );
    assert_eq!(plan.progress().companies_failed, 1);
    // A's other tasks are dropped (no page of A is ingested any more); B's are not.
    assert!(!plan.page_done(halves[1].id, PageInfo::default()).ingest);
    let b_task = tasks
        .iter()
        .find(|t| t.company_id.as_deref() == Some(B))
        .unwrap();
    assert!(plan.page_done(b_task.id, PageInfo::default()).ingest);
    assert!(drain(&mut plan)
        .iter()
        .all(|t| t.company_id.as_deref() != Some(A)));
}

#[test]
fn one_day_windows_are_not_split() {
    let w = Window::Posting {
        from: Date::parse_bc("2026-11-26").unwrap().unwrap(),
        to: None,
    };
    let plan = SyncPlan::new(config(), None).unwrap();
    assert_eq!(split(w, plan.run.started_at), None);
    let m = Window::Modified {
        after: Timestamp(plan.run.started_at.0 - 60_000),
        until: None,
    };
    assert_eq!(split(m, plan.run.started_at), None);
    let m = Window::Modified {
        after: Timestamp(plan.run.started_at.0 - 3_600_000),
        until: None,
    };
    let (a, b) = split(m, plan.run.started_at).unwrap();
    assert_eq!(
        a,
        Window::Modified {
            after: Timestamp(plan.run.started_at.0 - 3_600_000),
            until: Some(Timestamp(plan.run.started_at.0 - 1_800_000))
        }
    );
    assert_eq!(
        b,
        Window::Modified {
            after: Timestamp(plan.run.started_at.0 - 1_800_000),
            until: None
        }
    );
}

#[test]
fn errors_that_stop_the_sync() {
    // The company list cannot be read: nothing else can be.
    let mut plan = SyncPlan::new(config(), None).unwrap();
    let t = plan.next_task().unwrap();
    let d = plan.task_failed(
        t.id,
        Failure {
            code: "BC_APP_NOT_ENABLED".into(),
            message: "not enabled".into(),
            status: Some(401),
            ..Default::default()
        },
    );
    assert_eq!(d.action, "abort");
    assert!(plan.next_task().is_none());
    assert!(plan.is_finished());
    assert_eq!(plan.fatal().unwrap().code, "BC_APP_NOT_ENABLED");
    // Sign-in errors stop it from any read.
    let mut plan = SyncPlan::new(config(), None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let t = plan.next_task().unwrap();
    assert_eq!(
        plan.task_failed(
            t.id,
            Failure {
                code: "AUTH_SECRET_EXPIRED".into(),
                ..Default::default()
            }
        )
        .action,
        "abort"
    );
    let mut engine = Engine::new(EngineOptions {
        window_start: Some("2025-11-26".into()),
        ..Default::default()
    })
    .unwrap();
    // Not a configuration error: the failure that stopped it, as the host reported it.
    let err = plan.finish(&mut engine).err().unwrap();
    assert_eq!(err.code(), ErrorCode::SyncFailed);
    match &err {
        FinishError::Stopped(f) => assert_eq!(f.code, "AUTH_SECRET_EXPIRED"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("AUTH_SECRET_EXPIRED"), "{err}");
}

#[test]
fn users_failures_do_not_fail_companies() {
    let mut plan = SyncPlan::new(config(), None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let tasks = drain(&mut plan);
    let users = tasks.iter().find(|t| t.entity == "users").unwrap();
    let d = plan.task_failed(
        users.id,
        Failure {
            code: "BC_PERMISSION_MISSING".into(),
            message: "no automation".into(),
            status: Some(400),
            ..Default::default()
        },
    );
    assert_eq!(d.action, "usersFailed");
    for t in tasks.iter().filter(|t| t.entity != "users") {
        plan.page_done(t.id, PageInfo::default());
    }
    assert!(plan.is_finished());
    let mut engine = Engine::new(EngineOptions {
        window_start: Some("2025-11-26".into()),
        environment: Some("t/prod".into()),
        ..Default::default()
    })
    .unwrap();
    plan.begin(&mut engine);
    let out = plan.finish(&mut engine).unwrap();
    assert!(!out.complete);
    assert_eq!(out.users, "failed");
    assert_eq!(out.companies[0].status, "done");
}

#[test]
fn count_refused_reads_on_without_it() {
    let mut plan = SyncPlan::new(config(), None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let inv = drain(&mut plan)
        .into_iter()
        .find(|t| t.entity == "purchaseInvoices")
        .unwrap();
    assert!(inv.url.contains("$count=true"));
    let d = plan.task_failed(
        inv.id,
        Failure {
            code: "BC_BAD_REQUEST".into(),
            status: Some(400),
            ..Default::default()
        },
    );
    assert_eq!(d.action, "retry");
    let again = plan.next_task().unwrap();
    assert!(!again.url.contains("$count"));
    assert_eq!(
        plan.task_failed(
            again.id,
            Failure {
                code: "BC_BAD_REQUEST".into(),
                status: Some(400),
                ..Default::default()
            }
        )
        .action,
        "companyFailed"
    );
}

#[test]
fn a_bad_next_link_fails_its_company() {
    let mut plan = SyncPlan::new(config(), None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let v = drain(&mut plan)
        .into_iter()
        .find(|t| t.entity == "vendors")
        .unwrap();
    let ack = plan.page_done(
        v.id,
        PageInfo {
            next_link: Some(&v.url.clone()),
            ..Default::default()
        },
    );
    assert!(ack.ingest, "the records of the page are good");
    assert_eq!(ack.failed.unwrap().action, "companyFailed");
    let mut plan = SyncPlan::new(config(), None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let v = drain(&mut plan)
        .into_iter()
        .find(|t| t.entity == "vendors")
        .unwrap();
    assert_eq!(
        plan.page_done(
            v.id,
            PageInfo {
                next_link_invalid: true,
                ..Default::default()
            }
        )
        .failed
        .unwrap()
        .action,
        "companyFailed"
    );
}

#[test]
fn company_ids_must_be_guids() {
    let mut plan = SyncPlan::new(config(), None).unwrap();
    let t = plan.next_task().unwrap();
    let text = r#"{"value":[{"id":"x)/vendors?$x=(","name":"Evil"},{"name":"no id"},{"id":"aaaaaaaa-0000-4000-8000-000000000001","name":"Alpha"}]}"#;
    plan.page_done(
        t.id,
        PageInfo {
            text: Some(text),
            ..Default::default()
        },
    );
    let tasks = drain(&mut plan);
    assert!(tasks.iter().all(|t| t.company_id.as_deref() == Some(A)));
    assert_eq!(plan.progress().companies_failed, 1);
}

#[test]
fn checkpoints_are_checked() {
    let cfg = config;
    let err = |t: &str| SyncPlan::new(cfg(), Some(t)).err().expect("must fail");
    assert_eq!(err("{").code, ErrorCode::CheckpointInvalid);
    assert_eq!(
        err(r#"{"format":"bc-spend-engine-state","version":1}"#).code,
        ErrorCode::CheckpointForeign
    );
    assert_eq!(
        err(r#"{"format":"bc-spend-sync-checkpoint","version":7,"environment":"t/prod"}"#).code,
        ErrorCode::CheckpointVersion
    );
    let mut plan = SyncPlan::new(config(), None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let text = plan.checkpoint();
    let mut other = config();
    other.environment = "t/sandbox".into();
    assert_eq!(
        SyncPlan::new(other, Some(&text)).err().unwrap().code,
        ErrorCode::CheckpointForeign
    );
    // Company ids go into URLs: a tampered one is refused.
    let evil = text.replace(A, "aaaaaaaa-0000-4000-8000-00000000000)");
    assert_eq!(err(&evil).code, ErrorCode::CheckpointInvalid);
    for cut in (0..text.len()).step_by(5) {
        assert!(SyncPlan::new(config(), Some(&text[..cut])).is_err());
    }
}

#[test]
fn a_checkpoint_resumes_at_the_cursors() {
    let mut c = config();
    c.segments_per_company = Some(2);
    let mut plan = SyncPlan::new(c.clone(), None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let tasks = drain(&mut plan);
    let inv = tasks
        .iter()
        .filter(|t| t.entity == "purchaseInvoices")
        .collect::<Vec<_>>();
    plan.page_done(
        inv[0].id,
        PageInfo {
            next_link: Some("https://api/p2"),
            records: Some(500),
            count: Some(900),
            ..Default::default()
        },
    );
    let gl = tasks
        .iter()
        .find(|t| t.entity == "generalLedgerSetup")
        .unwrap();
    plan.page_done(gl.id, PageInfo::default());
    let _in_flight = plan.next_task().unwrap();
    let text = plan.checkpoint();
    assert!(text.contains("\"journalLength\":3"));

    // Killed here. The same configuration later resumes; the clock has moved on.
    let mut later = c.clone();
    later.started_at = "2026-11-27T09:00:00Z".into();
    later.connected_at = Some("2026-11-27".into());
    let mut resumed = SyncPlan::new(later, Some(&text)).unwrap();
    assert!(resumed.resumed());
    assert_eq!(resumed.journal_length(), 3);
    assert_eq!(resumed.window_start().to_string(), "2025-11-26");
    let again = drain(&mut resumed);
    let urls: BTreeSet<&str> = again.iter().map(|t| t.url.as_str()).collect();
    assert!(
        urls.contains("https://api/p2"),
        "the second page of the first segment"
    );
    assert!(
        urls.contains(inv[1].url.as_str()),
        "the second segment from its start"
    );
    assert!(
        !again.iter().any(|t| t.entity == "generalLedgerSetup"),
        "done before the kill"
    );
    assert!(!again.iter().any(|t| t.entity == "companies"));

    // Another selection starts a new run, and says the old journal must go.
    let mut other = c.clone();
    other.companies = Some(vec!["Alpha".into()]);
    let fresh = SyncPlan::new(other, Some(&text)).unwrap();
    assert!(!fresh.resumed());
    assert_eq!((fresh.stale_journal(), fresh.journal_length()), (3, 0));
}

// ---------------------------------------------------------------------------------------------
// A simulated Business Central: documents per company, served per the plan's windows, with
// faults, so whole runs can be checked against the truth.

#[derive(Clone)]
struct Doc {
    id: String,
    posted: Date,
    paid: bool,
    modified: i64,
    cents: i64,
}

struct Bc {
    companies: Vec<(String, Vec<Doc>)>,
    clock: i64,
}

/// A page as [`Bc::serve`] answers it.
struct Served {
    text: String,
    next: Option<String>,
    count: Option<u64>,
    records: u64,
    latest: Option<Date>,
    ids: Vec<String>,
}

impl Bc {
    fn new(n: usize) -> Bc {
        let base = Date::parse_bc("2025-09-01").unwrap().unwrap();
        let mut companies = Vec::new();
        for (ci, id) in [A, B].iter().enumerate() {
            let docs = (0..n)
                .map(|i| {
                    let x = (i * 7919 + ci * 104_729) as i64;
                    let posted = base.add_days(x % 450);
                    Doc {
                        id: format!("{:08x}-0000-4000-8000-{:012x}", ci + 1, i),
                        posted,
                        paid: x % 11 != 0,
                        modified: (posted.to_days() + 3) * 86_400_000 + x % 1000,
                        cents: 100 + x % 99_900,
                    }
                })
                .collect();
            companies.push((id.to_string(), docs));
        }
        // Changes happen after the first run started (2026-11-26T09:00Z), by the server's clock.
        Bc {
            companies,
            clock: Date::parse_bc("2026-11-26").unwrap().unwrap().to_days() * 86_400_000
                + 10 * 3_600_000,
        }
    }

    fn touch(&mut self, c: usize, i: usize, f: impl FnOnce(&mut Doc)) {
        self.clock += 60_000;
        let d = &mut self.companies[c].1[i];
        f(d);
        d.modified = self.clock;
    }

    /// The documents in about posting-date order, as BC's own order (its key's: invoice
    /// numbers follow the invoice date, posted up to two weeks later), so that reads can be
    /// split as they run: a page may hold a later posting date than the next page.
    fn in_date_order(mut self) -> Bc {
        for (_, docs) in &mut self.companies {
            docs.sort_by_key(|d| (d.posted.add_days(-(d.cents % 15)), d.id.clone()));
        }
        self
    }

    /// Serves a task as BC would, from its URL: the `$filter` (status, `postingDate` and
    /// `lastModifiedDateTime` ranges) is applied on every page, documents come in their order
    /// in the company, and a next link is the same query with a `$skiptoken` holding the
    /// position of the last document served. Returns the page, its next link, its count, the
    /// records and their latest posting date, and the ids served.
    fn serve(&self, plan: &SyncPlan, t: &Task) -> Served {
        let s = plan.run.streams.iter().find(|s| s.id == t.stream).unwrap();
        let company = s.company.as_deref();
        let ctx = |e: &str| {
            format!(
                "https://bc/v2.0/t/prod/api/v2.0/$metadata#companies({})/{e}",
                company.unwrap_or("")
            )
        };
        let simple = |text: String, records: u64| Served {
            text,
            next: None,
            count: None,
            records,
            latest: None,
            ids: Vec::new(),
        };
        match s.kind {
            StreamKind::Companies => simple(companies_page(&self.companies.iter().map(|(id, _)| (id.as_str(), "Co")).collect::<Vec<_>>()), self.companies.len() as u64),
            StreamKind::Users => simple(r#"{"value":[{"userSecurityId":"dddddddd-0000-0000-0000-000000000001","userName":"EMMA","state":"Enabled","contactEmail":"emma@x.com"}]}"#.to_string(), 1),
            StreamKind::GeneralLedgerSetup => simple(r#"{"value":[{"id":"g","localCurrencyCode":"USD"}]}"#.into(), 1),
            StreamKind::Vendors => simple(r#"{"value":[]}"#.into(), 0),
            StreamKind::PurchaseCreditMemos => simple(r#"{"value":[]}"#.into(), 0),
            StreamKind::PurchaseInvoices => {
                let docs = &self.companies.iter().find(|(id, _)| Some(id.as_str()) == company).unwrap().1;
                let (path, q) = t.url.split_once('?').unwrap();
                let mut filter = None;
                let mut after: Option<usize> = None;
                let mut counted = false;
                for part in q.split('&') {
                    let (k, v) = part.split_once('=').unwrap();
                    match k {
                        "$filter" => filter = Some(query::decode(v)),
                        "$skiptoken" => after = Some(v.parse().unwrap()),
                        "$count" => counted = v == "true",
                        _ => {}
                    }
                }
                let filter = filter.expect("a document read is filtered");
                let date = |v: &str| Date::parse_bc(v).unwrap().unwrap();
                let time = |v: &str| Timestamp::parse_bc(v).unwrap().unwrap().0;
                let clauses: Vec<(String, String, String)> = filter
                    .split(" and ")
                    .map(|c| {
                        let mut w = c.splitn(3, ' ');
                        (w.next().unwrap().into(), w.next().unwrap().into(), w.next().unwrap().into())
                    })
                    .collect();
                let matches = |d: &Doc| {
                    clauses.iter().all(|(f, op, v)| match (f.as_str(), op.as_str()) {
                        ("status", "eq") => d.paid == (v == "'Paid'"),
                        ("postingDate", "ge") => d.posted >= date(v),
                        ("postingDate", "lt") => d.posted < date(v),
                        ("lastModifiedDateTime", "gt") => d.modified > time(v),
                        ("lastModifiedDateTime", "le") => d.modified <= time(v),
                        other => panic!("unknown clause {other:?}"),
                    })
                };
                let count = docs.iter().filter(|d| matches(d)).count() as u64;
                let rows: Vec<(usize, &Doc)> = docs
                    .iter()
                    .enumerate()
                    .filter(|(i, d)| after.map_or(true, |a| *i > a) && matches(d))
                    .take(t.page_size as usize + 1)
                    .collect();
                let more = rows.len() > t.page_size as usize;
                let rows = &rows[..rows.len().min(t.page_size as usize)];
                let value: Vec<String> = rows
                    .iter()
                    .map(|(_, d)| {
                        format!(
                            r#"{{"id":"{}","number":"N{}","postingDate":"{}","status":"{}","lastModifiedDateTime":"{}","currencyCode":"USD","totalAmountExcludingTax":{}.{:02},"totalAmountIncludingTax":{}.{:02},"purchaseInvoiceLines":[]}}"#,
                            d.id,
                            d.id,
                            d.posted,
                            if d.paid { "Paid" } else { "Open" },
                            Timestamp(d.modified),
                            d.cents / 100,
                            d.cents % 100,
                            d.cents / 100,
                            d.cents % 100
                        )
                    })
                    .collect();
                let next = more.then(|| {
                    let kept: Vec<&str> = q.split('&').filter(|p| !p.starts_with("$skiptoken=")).collect();
                    let path = path.rsplit_once("/api/").map_or(path.to_owned(), |(_, p)| format!("api/{p}"));
                    format!("https://bc/v2.0/t/prod/{path}?{}&$skiptoken={}", kept.join("&"), rows.last().unwrap().0)
                });
                Served {
                    text: format!(r#"{{"@odata.context":"{}","value":[{}]}}"#, ctx("purchaseInvoices"), value.join(",")),
                    next,
                    count: counted.then_some(count),
                    records: rows.len() as u64,
                    latest: rows.iter().map(|(_, d)| d.posted).max(),
                    ids: rows.iter().map(|(_, d)| d.id.clone()).collect(),
                }
            }
        }
    }

    fn truth(&self, window_start: Date) -> BTreeSet<(String, i64)> {
        self.companies
            .iter()
            .flat_map(|(_, docs)| {
                docs.iter()
                    .filter(|d| d.paid && d.posted >= window_start)
                    .map(|d| (d.id.clone(), d.cents * 100))
            })
            .collect()
    }
}

fn engine_options(window: Date) -> EngineOptions {
    EngineOptions {
        window_start: Some(window.to_string()),
        environment: Some("t/prod".into()),
        ..Default::default()
    }
}

fn held(e: &mut Engine) -> BTreeSet<(String, i64)> {
    e.transactions()
        .iter()
        .map(|t| (t.invoice_id.to_string(), t.amount_excluding_tax.0))
        .collect()
}

/// Where a run's storage stands: the state of the last complete run, the checkpoint and the
/// journal of pages ingested since.
#[derive(Default, Clone)]
struct Store {
    state: Option<Vec<u8>>,
    checkpoint: Option<String>,
    journal: Vec<(&'static str, Option<String>, String)>,
    /// Requests of the last run, and the largest page size one asked for.
    requests: usize,
    largest_request: u32,
    /// How many times each document was ingested, over every run on this store.
    read: std::collections::BTreeMap<String, u32>,
    /// Document reads (streams) of the last finished run, split ones included.
    document_reads: usize,
}

fn document_reads(plan: &SyncPlan) -> usize {
    plan.run
        .streams
        .iter()
        .filter(|s| s.kind.is_document() && s.state != StreamState::Split)
        .count()
}

/// Runs a sync against `bc`, stopping (a kill) after `kill_after` pages if given, with every
/// `fail_every`th request failing with a timeout. Returns the engine when the run finished.
fn run(
    bc: &Bc,
    cfg: SyncConfig,
    store: &mut Store,
    kill_after: Option<usize>,
    fail_every: Option<usize>,
) -> Option<(Engine, Outcome)> {
    let mut plan = SyncPlan::new(cfg, store.checkpoint.as_deref()).unwrap();
    let window = plan.window_start();
    let mut engine = match &store.state {
        Some(s) => Engine::from_state(engine_options(window), s).unwrap(),
        None => Engine::new(engine_options(window)).unwrap(),
    };
    plan.begin(&mut engine);
    if plan.resumed() {
        assert_eq!(store.journal.len() as u64, plan.journal_length());
        for (entity, company, text) in &store.journal {
            engine.add_page_text(crate::bc::Entity::parse(entity), company.as_deref(), text);
        }
    } else {
        store.journal.clear();
    }
    let mut pages = 0;
    let mut requests = 0;
    store.largest_request = 0;
    let mut in_flight: Vec<Task> = Vec::new();
    loop {
        while in_flight.len() < 5 {
            match plan.next_task() {
                Some(t) => in_flight.push(t),
                None => break,
            }
        }
        if in_flight.is_empty() {
            break;
        }
        // Answer the oldest request in flight; others stay in flight (order varies by run).
        let t = in_flight.remove(requests % in_flight.len());
        requests += 1;
        store.requests = requests;
        store.largest_request = store.largest_request.max(t.page_size);
        if fail_every.is_some_and(|n| requests % n == 0) {
            let d = plan.task_failed(t.id, timeout());
            assert_ne!(d.action, "companyFailed", "{d:?}");
            continue;
        }
        let Served {
            text,
            next,
            count,
            records,
            latest,
            ids,
        } = bc.serve(&plan, &t);
        let ack = plan.page_done(
            t.id,
            PageInfo {
                next_link: next.as_deref(),
                count,
                records: Some(records),
                latest_posting: latest,
                text: Some(&text),
                ..Default::default()
            },
        );
        if ack.ingest {
            for id in ids {
                *store.read.entry(id).or_default() += 1;
            }
            engine.add_page_text(
                crate::bc::Entity::parse(t.entity),
                t.company_id.as_deref(),
                &text,
            );
            store.journal.push((t.entity, t.company_id.clone(), text));
            store.checkpoint = Some(plan.checkpoint());
            pages += 1;
            if kill_after == Some(pages) {
                return None;
            }
        }
    }
    assert!(plan.is_finished());
    store.document_reads = document_reads(&plan);
    let out = plan.finish(&mut engine).unwrap();
    store.state = Some(engine.export_state());
    store.checkpoint = Some(out.checkpoint.clone());
    store.journal.clear();
    Some((engine, out))
}

/// Equal states but for what describes how the pages were read (faults split reads into more
/// pages in one run than in another).
fn same_data(a: &[u8], b: &[u8]) -> bool {
    // A window before every document, so reading drops none.
    let early = Date::new(1900, 1, 1).unwrap();
    let strip = |state: &[u8]| {
        let mut e = Engine::from_state(engine_options(early), state).unwrap();
        // The match decisions kept are a cache of what the runs happened to build: built
        // here, both hold exactly the verdicts of their documents.
        e.transactions();
        e.counts.clear();
        e.pages_seen.clear();
        e.diags = Default::default();
        e.set_built_figures(None);
        e.export_state()
    };
    strip(a) == strip(b)
}

fn sim_config(page_size: u32) -> SyncConfig {
    let mut c = config();
    c.page_size = Some(page_size);
    c
}

#[test]
fn a_full_run_reads_exactly_the_truth() {
    let bc = Bc::new(700);
    let (mut e, out) = run(&bc, sim_config(37), &mut Store::default(), None, None).unwrap();
    let window = Date::parse_bc("2025-11-26").unwrap().unwrap();
    assert_eq!(held(&mut e), bc.truth(window));
    assert!(out.complete);
    assert_eq!(out.changes.added as usize, bc.truth(window).len());
    assert_eq!(
        out.companies.iter().map(|c| c.invoices).collect::<Vec<_>>(),
        ["full", "full"]
    );
}

#[test]
fn date_segments_cost_no_request_over_one_read() {
    // 2 companies of about 1,470 paid invoices in the window, 3 date segments each: each
    // segment's last page takes its rest, so the run makes no more requests than reading each
    // company in one stream of full pages.
    let bc = Bc::new(2000);
    let mut store = Store::default();
    let (mut e, out) = run(&bc, sim_config(150), &mut store, None, None).unwrap();
    let window = Date::parse_bc("2025-11-26").unwrap().unwrap();
    assert_eq!(held(&mut e), bc.truth(window));
    assert!(out.complete);
    let paid = |c: usize| {
        bc.companies[c]
            .1
            .iter()
            .filter(|d| d.paid && d.posted >= window)
            .count()
    };
    let minimum = 2 + (0..2).map(|c| 2 + paid(c).div_ceil(150)).sum::<usize>();
    assert!(paid(0) > 1000 && paid(1) > 1000);
    assert_eq!(minimum, 26);
    assert!(
        store.requests <= minimum,
        "{} requests, minimum {minimum}",
        store.requests
    );
    assert!(
        store.largest_request > 150 && store.largest_request < 300,
        "{}",
        store.largest_request
    );
    // Without counts, pages keep their size and each segment ends with its partial page.
    let mut c = sim_config(150);
    c.count = Some(false);
    let mut store = Store::default();
    let (mut e, _) = run(&bc, c, &mut store, None, None).unwrap();
    assert_eq!(held(&mut e), bc.truth(window));
    assert_eq!(store.largest_request, 150);
    assert!(
        store.requests > minimum,
        "{} requests, minimum {minimum}",
        store.requests
    );
}

#[test]
fn kills_at_any_page_resume_to_the_same_result() {
    let bc = Bc::new(300);
    let (mut clean, _) = run(&bc, sim_config(23), &mut Store::default(), None, None).unwrap();
    let want = clean.export_state();
    for kill in [1, 2, 5, 9, 17, 26] {
        let mut store = Store::default();
        assert!(run(&bc, sim_config(23), &mut store, Some(kill), Some(7)).is_none());
        let mut resumed = None;
        // Killed again and again until it finishes.
        for k in 0..50 {
            if let Some(r) = run(&bc, sim_config(23), &mut store, Some(3 + k % 4), None) {
                resumed = Some(r);
                break;
            }
        }
        let (mut e, out) = resumed.expect("finishes");
        assert_eq!(held(&mut e), held(&mut clean), "kill after {kill}");
        assert!(
            same_data(&e.export_state(), &want),
            "kill after {kill}: same state as an uninterrupted run"
        );
        assert!(out.resumed);
    }
}

#[test]
fn incremental_runs_end_equal_to_a_clean_full_run() {
    let mut bc = Bc::new(400);
    let mut store = Store::default();
    let (_, first) = run(&bc, sim_config(50), &mut store, None, None).unwrap();
    let ck = checkpoint::parse(&first.checkpoint).unwrap();
    let wm = ck.last.unwrap().companies[0].invoices.watermark.unwrap();
    // The newest modification read, or the run's start if earlier, less an hour.
    let newest = bc.companies[0]
        .1
        .iter()
        .filter(|d| d.paid && d.posted >= Date::parse_bc("2025-11-26").unwrap().unwrap())
        .map(|d| d.modified)
        .max()
        .unwrap();
    let started = Timestamp::parse_bc(STARTED).unwrap().unwrap().0;
    assert!(
        newest > started,
        "some test data is modified after the run's start"
    );
    assert_eq!(wm.0, started - 3_600_000);

    // Payments, reversals, edits and new invoices since.
    let unpaid = (0..400)
        .find(|&i| {
            !bc.companies[0].1[i].paid
                && bc.companies[0].1[i].posted.to_string().as_str() > "2025-12-01"
        })
        .unwrap();
    let paid = (0..400)
        .find(|&i| {
            bc.companies[1].1[i].paid
                && bc.companies[1].1[i].posted.to_string().as_str() > "2025-12-01"
        })
        .unwrap();
    bc.touch(0, unpaid, |d| d.paid = true);
    bc.touch(1, paid, |d| d.paid = false);
    bc.touch(1, paid + 1, |d| d.cents += 1);
    let mut cfg = sim_config(50);
    cfg.started_at = "2026-11-27T09:00:00Z".into();
    let (mut e, out) = run(&bc, cfg.clone(), &mut store, None, None).unwrap();
    assert_eq!(
        out.companies.iter().map(|c| c.invoices).collect::<Vec<_>>(),
        ["incremental", "incremental"]
    );
    let (mut clean, _) = run(&bc, cfg, &mut Store::default(), None, None).unwrap();
    assert_eq!(held(&mut e), held(&mut clean));
    assert_eq!(
        held(&mut e),
        bc.truth(Date::parse_bc("2025-11-26").unwrap().unwrap())
    );
    let c = &out.changes;
    assert_eq!((c.added, c.removed), (1, 1));
    assert!(
        c.changed <= 1,
        "the edit changes the amount only if that invoice is paid"
    );
    assert!(
        out.pages < 10,
        "an incremental run reads little: {} pages",
        out.pages
    );
}

#[test]
fn a_later_window_drops_and_an_earlier_one_reads_again() {
    let bc = Bc::new(300);
    let mut store = Store::default();
    run(&bc, sim_config(50), &mut store, None, None).unwrap();
    let mut later = sim_config(50);
    later.window_start = Some("2026-03-01".into());
    let (mut e, out) = run(&bc, later, &mut store, None, None).unwrap();
    assert_eq!(
        held(&mut e),
        bc.truth(Date::parse_bc("2026-03-01").unwrap().unwrap())
    );
    assert!(out.changes.removed > 0);
    assert_eq!(out.companies[0].invoices, "incremental");
    let mut earlier = sim_config(50);
    earlier.window_start = Some("2025-10-01".into());
    let (mut e, out) = run(&bc, earlier, &mut store, None, None).unwrap();
    assert_eq!(out.companies[0].invoices, "full");
    assert_eq!(
        held(&mut e),
        bc.truth(Date::parse_bc("2025-10-01").unwrap().unwrap())
    );
}

#[test]
fn timeouts_everywhere_lose_nothing() {
    let bc = Bc::new(500);
    let (mut e, out) = run(&bc, sim_config(40), &mut Store::default(), None, Some(3)).unwrap();
    assert_eq!(
        held(&mut e),
        bc.truth(Date::parse_bc("2025-11-26").unwrap().unwrap())
    );
    assert!(out.complete);
}

#[test]
fn count_based_estimates_and_longest_first() {
    let mut c = config();
    c.segments_per_company = Some(1);
    c.page_size = Some(100);
    let mut plan = SyncPlan::new(c, None).unwrap();
    list(&mut plan, &[(A, "Alpha"), (B, "Beta")]);
    let tasks = drain(&mut plan);
    let a = tasks
        .iter()
        .find(|t| t.entity == "purchaseInvoices" && t.company_id.as_deref() == Some(A))
        .unwrap();
    let b = tasks
        .iter()
        .find(|t| t.entity == "purchaseInvoices" && t.company_id.as_deref() == Some(B))
        .unwrap();
    plan.page_done(
        a.id,
        PageInfo {
            next_link: Some("https://api/a2"),
            count: Some(250),
            records: Some(100),
            ..Default::default()
        },
    );
    plan.page_done(
        b.id,
        PageInfo {
            next_link: Some("https://api/b2"),
            count: Some(1000),
            records: Some(100),
            ..Default::default()
        },
    );
    // B has 9 pages left, A 1 (its last 150 records in one page): B goes first.
    assert_eq!(plan.next_task().unwrap().url, "https://api/b2");
    // 9 + 1 (one in flight counts) + GL setup, vendors x2, users.
    assert_eq!(plan.progress().remaining_pages, Some(9 + 1 + 5));
    let a2 = plan.next_task().unwrap();
    assert_eq!((a2.url.as_str(), a2.page_size), ("https://api/a2", 150));
}

// ---- the rules the host asks the core for (issue 16, "each rule in one layer")

#[test]
fn bc_limits_are_the_ones_the_plan_enforces() {
    assert_eq!(
        BC_LIMITS,
        BcLimits {
            max_concurrency: 5,
            max_page_size: 20_000,
            requests_per_window: 6_000,
            window_ms: 300_000
        }
    );
    let json = serde_json::to_value(BC_LIMITS).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "maxConcurrency": 5, "maxPageSize": 20000, "requestsPerWindow": 6000, "windowMs": 300000 })
    );
    // The plan accepts exactly what BC allows.
    let with = |concurrency, page_size| {
        SyncPlan::new(
            SyncConfig {
                concurrency: Some(concurrency),
                page_size: Some(page_size),
                ..config()
            },
            None,
        )
    };
    assert!(with(BC_LIMITS.max_concurrency, BC_LIMITS.max_page_size).is_ok());
    assert_eq!(
        with(BC_LIMITS.max_concurrency + 1, 1)
            .err()
            .unwrap()
            .path
            .as_deref(),
        Some("concurrency")
    );
    assert_eq!(
        with(1, BC_LIMITS.max_page_size + 1)
            .err()
            .unwrap()
            .path
            .as_deref(),
        Some("pageSize")
    );
}

#[test]
fn the_plan_says_how_many_requests_to_keep_in_flight() {
    assert_eq!(
        SyncPlan::new(config(), None).unwrap().concurrency(),
        BC_LIMITS.max_concurrency
    );
    assert_eq!(
        SyncPlan::new(
            SyncConfig {
                concurrency: Some(2),
                ..config()
            },
            None
        )
        .unwrap()
        .concurrency(),
        2
    );
}

#[test]
fn company_ids_are_guids() {
    assert!(is_guid("aaaaaaaa-0000-4000-8000-000000000001"));
    assert!(is_guid("8E1B3EF6-9C3E-EF11-8409-000D3A7E3F1C"));
    for bad in [
        "",
        "aaaaaaaa-0000-4000-8000-00000000000",
        "aaaaaaaa-0000-4000-8000-0000000000011",
        "{aaaaaaaa-0000-4000-8000-000000000001}",
        "aaaaaaaa_0000-4000-8000-000000000001",
        "gaaaaaaa-0000-4000-8000-000000000001",
        "aaaaaaaa-0000-4000-8000-00000000000\u{e9}",
        "x) or (1 eq 1",
    ] {
        assert!(!is_guid(bad), "{bad:?}");
    }
}

#[test]
fn environment_keys_name_tenant_and_environment_in_lower_case() {
    assert_eq!(
        environment_key(
            Some(" 72F988BF-86f1-41af-91ab-2d7cd011db47 "),
            " Production "
        ),
        "72f988bf-86f1-41af-91ab-2d7cd011db47/production"
    );
    assert_eq!(
        environment_key(Some("Contoso.onmicrosoft.com"), "Sandbox"),
        "contoso.onmicrosoft.com/sandbox"
    );
    // Without a tenant (the token decides it), the environment alone.
    assert_eq!(environment_key(None, "Production"), "production");
    assert_eq!(environment_key(Some("  "), "Production"), "production");
    // As JavaScript's trim(): a byte-order mark is blank too.
    assert_eq!(environment_key(Some("\u{feff}T"), "\u{feff}P\n"), "t/p");
    // Two spellings of one environment are one checkpoint.
    let plan = SyncPlan::new(
        SyncConfig {
            environment: environment_key(Some("T"), "Prod"),
            ..config()
        },
        None,
    )
    .unwrap();
    let ck = plan.checkpoint();
    assert!(SyncPlan::new(
        SyncConfig {
            environment: environment_key(Some("t"), " PROD"),
            ..config()
        },
        Some(&ck)
    )
    .is_ok());
}

#[test]
fn window_settings_given_with_the_engine_options_reach_the_plan() {
    let engine = EngineOptions {
        connected_at: Some("2026-06-30".into()),
        history_years: Some(2),
        credit_memos: Some(true),
        line_mode: Some("line".into()),
        ..Default::default()
    };
    let c = SyncConfig {
        connected_at: None,
        ..config()
    }
    .with_engine_options(&engine);
    assert_eq!(
        (
            c.connected_at.as_deref(),
            c.history_years,
            c.credit_memos,
            c.line_mode.as_deref()
        ),
        (Some("2026-06-30"), Some(2), Some(true), Some("line"))
    );
    let plan = SyncPlan::new(c, None).unwrap();
    assert_eq!(
        (plan.window_start().to_string(), plan.credit_memos()),
        ("2024-06-30".to_string(), true)
    );
    // The sync configuration's own settings win over the engine's, except the line mode, which
    // the engine decides.
    let mine = SyncConfig {
        window_start: Some("2026-01-01".into()),
        credit_memos: Some(false),
        line_mode: Some("auto".into()),
        ..config()
    };
    let c = mine.with_engine_options(&EngineOptions {
        window_start: Some("2020-01-01".into()),
        ..engine.clone()
    });
    assert_eq!(
        (
            c.connected_at.as_deref(),
            c.window_start.as_deref(),
            c.credit_memos,
            c.line_mode.as_deref()
        ),
        (
            Some("2026-11-26"),
            Some("2026-01-01"),
            Some(false),
            Some("line")
        )
    );
    let c = SyncConfig {
        line_mode: Some("auto".into()),
        ..config()
    }
    .with_engine_options(&EngineOptions {
        line_mode: Some(String::new()),
        ..Default::default()
    });
    assert_eq!(c.line_mode.as_deref(), Some("auto"));
}

#[test]
fn the_plan_hands_the_engine_its_window() {
    let plan = SyncPlan::new(
        SyncConfig {
            credit_memos: Some(true),
            ..config()
        },
        None,
    )
    .unwrap();
    let given = EngineOptions {
        connected_at: Some("2020-01-01".into()),
        history_years: Some(3),
        window_start: Some("2019-01-01".into()),
        credit_memos: Some(false),
        line_mode: Some("line".into()),
        default_currency: Some("EUR".into()),
        rules: Some(serde_json::json!([])),
        ..Default::default()
    };
    let o = plan.engine_options(given);
    // The window is the plan's, whatever the engine options said; connectedAt and historyYears
    // are the plan's inputs, not the engine's.
    assert_eq!(
        (
            o.window_start.as_deref(),
            o.credit_memos,
            o.connected_at.as_deref(),
            o.history_years
        ),
        (Some("2025-11-26"), Some(true), None, None)
    );
    assert_eq!(o.environment.as_deref(), Some("t/prod"));
    assert_eq!(
        (
            o.line_mode.as_deref(),
            o.default_currency.as_deref(),
            o.rules.clone()
        ),
        (Some("line"), Some("EUR"), Some(serde_json::json!([])))
    );
    // An environment given with the engine options is kept as given (transaction ids depend on it).
    let o = plan.engine_options(EngineOptions {
        environment: Some("Mine".into()),
        ..Default::default()
    });
    assert_eq!(o.environment.as_deref(), Some("Mine"));
    // The options serialize to what `new Engine(options)` reads back: only the keys set.
    let text = serde_json::to_string(&o).unwrap();
    assert_eq!(
        text,
        r#"{"windowStart":"2025-11-26","creditMemos":true,"environment":"Mine"}"#
    );
    let back: EngineOptions = serde_json::from_str(&text).unwrap();
    assert_eq!(
        crate::engine::Engine::new(back)
            .unwrap()
            .window_start
            .to_string(),
        "2025-11-26"
    );
}

// ---- splitting a running read (work stealing)

#[test]
fn running_reads_are_split_only_when_asked() {
    let plan = SyncPlan::new(config(), None).unwrap();
    assert!(!plan.settings.split_running, "off by default");
    let mut c = config();
    c.split_running = Some(true);
    assert!(SyncPlan::new(c, None).unwrap().settings.split_running);
}

/// [`sim_config`] with running reads split (opt-in: `splitRunning`).
fn split_sim_config(page_size: u32) -> SyncConfig {
    let mut c = sim_config(page_size);
    c.split_running = Some(true);
    c
}

/// A plan with company A listed and read in one segment, whose first page (of `records`, out
/// of `count`, posted up to `latest`) has arrived with a next link carrying the plan's filter;
/// the other one-page reads are in flight.
fn running_read(records: u64, count: u64, latest: Option<&str>) -> (SyncPlan, Task) {
    running_read_linked(records, count, latest, None)
}

/// [`running_read`] whose first page came with `next_link` (else one carrying the plan's filter).
fn running_read_linked(
    records: u64,
    count: u64,
    latest: Option<&str>,
    next_link: Option<&str>,
) -> (SyncPlan, Task) {
    let mut c = config();
    c.split_running = Some(true);
    c.segments_per_company = Some(1);
    c.page_size = Some(100);
    let mut plan = SyncPlan::new(c, None).unwrap();
    list(&mut plan, &[(A, "Alpha")]);
    let tasks = drain(&mut plan);
    let inv = tasks
        .iter()
        .find(|t| t.entity == "purchaseInvoices")
        .unwrap()
        .clone();
    let link = format!("https://bc/v2.0/t/prod/{}&$skiptoken=7", inv.url);
    plan.page_done(
        inv.id,
        PageInfo {
            next_link: Some(next_link.unwrap_or(&link)),
            count: Some(count),
            records: Some(records),
            latest_posting: latest.map(|d| Date::parse_bc(d).unwrap().unwrap()),
            ..Default::default()
        },
    );
    (plan, inv)
}

/// The narrowed read's second page arrives (100 of the 350 its query now counts, posted up to
/// 2026-02-01), with a next link on its narrowed query `narrowed`; returns that link.
fn narrowed_page_done(plan: &mut SyncPlan, next: &Task, narrowed: &str) -> String {
    let link = format!("https://bc/v2.0/t/prod/{narrowed}&$skiptoken=9");
    plan.page_done(
        next.id,
        PageInfo {
            next_link: Some(&link),
            count: Some(350),
            records: Some(100),
            latest_posting: Some(Date::parse_bc("2026-02-01").unwrap().unwrap()),
            ..Default::default()
        },
    );
    link
}

fn posting_window(plan: &SyncPlan, stream: u32) -> (Date, Option<Date>) {
    match plan
        .run
        .streams
        .iter()
        .find(|s| s.id == stream)
        .unwrap()
        .window
    {
        Some(Window::Posting { from, to }) => (from, to),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_split_partitions_the_rest_of_a_running_read_at_a_date_it_has_not_reached() {
    // 100 of 1,000 read, the latest posted 2026-01-10; GL setup, vendors and users in flight
    // (3 of 5 slots): the read's next page would leave a slot idle.
    let (mut plan, first) = running_read(100, 1000, Some("2026-01-10"));
    let (from, to) = posting_window(&plan, first.stream);
    assert_eq!((from.to_string(), to), ("2025-11-26".into(), None));
    let next = plan.next_task().unwrap();
    assert_eq!(next.stream, first.stream);
    let second = plan.next_task().unwrap();
    assert_ne!(second.stream, first.stream);
    assert!(second.first_page && second.url.starts_with("api/v2.0/companies("));
    assert!(
        plan.next_task().is_none(),
        "one split for the one idle slot"
    );
    // [from, mid) and [mid, open): the rest from 2026-01-11 (after the latest date read) to
    // the end of the run's day (2026-11-27), 320 days, halved.
    let (a_from, a_to) = posting_window(&plan, first.stream);
    let (b_from, b_to) = posting_window(&plan, second.stream);
    let mid = a_to.unwrap();
    assert_eq!(mid.to_string(), "2026-06-20");
    assert_eq!((a_from, b_from, b_to), (from, mid, None));
    assert!(mid > Date::parse_bc("2026-01-10").unwrap().unwrap());
    // Every date of the window falls in exactly one of them (half-open ranges).
    let inside = |d: Date, (f, t): (Date, Option<Date>)| d >= f && t.map_or(true, |t| d < t);
    for day in 0..400 {
        let d = from.add_days(day);
        let n = [(a_from, a_to), (b_from, b_to)]
            .into_iter()
            .filter(|w| inside(d, *w))
            .count();
        assert_eq!(n, 1, "{d}");
    }
    // The running read goes on from its position with the narrowed filter; the new one reads
    // its range from the start.
    let narrowed = query::invoices(
        A,
        &Window::Posting {
            from,
            to: Some(mid),
        },
        from,
        true,
    );
    assert_eq!(
        next.url,
        format!("https://bc/v2.0/t/prod/{narrowed}&$skiptoken=7")
    );
    assert_eq!(
        second.url,
        query::invoices(
            A,
            &Window::Posting {
                from: mid,
                to: None
            },
            from,
            true
        )
    );
    // The narrowed read asks for whole pages until BC counts its narrower query again.
    assert_eq!(next.page_size, 100);
    narrowed_page_done(&mut plan, &next, &narrowed);
    let s = plan
        .run
        .streams
        .iter()
        .find(|s| s.id == first.stream)
        .unwrap();
    assert_eq!((s.count, s.records, s.recount), (Some(350), 200, false));
    // The checkpoint records both reads, the narrowed window, the next link and the date
    // reached.
    let ck = plan.checkpoint();
    assert!(ck.contains("\"postingTo\":\"2026-06-20\""), "{ck}");
    assert!(ck.contains("\"postingFrom\":\"2026-06-20\""), "{ck}");
    assert!(ck.contains("\"seenTo\":\"2026-02-01\""), "{ck}");
}

#[test]
fn a_split_read_resumes_from_its_checkpoint() {
    let (mut plan, first) = running_read(100, 1000, Some("2026-01-10"));
    let next = plan.next_task().unwrap();
    let second = plan.next_task().unwrap();
    let (from, mid) = (
        posting_window(&plan, first.stream).0,
        posting_window(&plan, second.stream).0,
    );
    let narrowed = query::invoices(
        A,
        &Window::Posting {
            from,
            to: Some(mid),
        },
        from,
        true,
    );
    let link = narrowed_page_done(&mut plan, &next, &narrowed);
    // Killed with the new read's first page in flight.
    let ck = plan.checkpoint();
    let mut c = config();
    c.split_running = Some(true);
    c.segments_per_company = Some(1);
    c.page_size = Some(100);
    let mut resumed = SyncPlan::new(c, Some(&ck)).unwrap();
    assert!(resumed.resumed());
    let get = |p: &SyncPlan, id: u32| p.run.streams.iter().find(|s| s.id == id).unwrap().clone();
    for id in [first.stream, second.stream] {
        let (a, b) = (get(&plan, id), get(&resumed, id));
        assert_eq!(
            (a.window, a.next, a.count, a.records, a.pages, a.seen_to, a.no_split, a.recount),
            (b.window, b.next, b.count, b.records, b.pages, b.seen_to, b.no_split, b.recount),
            "stream {id}"
        );
    }
    assert_eq!(
        get(&resumed, first.stream).seen_to.unwrap().to_string(),
        "2026-02-01"
    );
    // The narrowed read goes on from its link, the new one from its start, and no other.
    let urls: BTreeSet<String> = drain(&mut resumed)
        .into_iter()
        .filter(|t| t.entity == "purchaseInvoices")
        .map(|t| t.url)
        .collect();
    assert_eq!(urls, BTreeSet::from([link, second.url]));
    // A checkpoint that does not say how far a read reached (written before reads were split):
    // the read is never split.
    let old = ck.replace(",\"seenTo\":\"2026-02-01\"", "");
    assert_ne!(old, ck);
    let mut c = config();
    c.split_running = Some(true);
    c.segments_per_company = Some(1);
    c.page_size = Some(100);
    let resumed = SyncPlan::new(c, Some(&old)).unwrap();
    assert!(get(&resumed, first.stream).no_split);
    assert!(!get(&resumed, second.stream).no_split, "nothing read yet");
}

/// Two companies in three segments each, every request in flight (5, with GL setup, vendors
/// and users), then the first page of every segment arrives: of 1,000 records but one of
/// `longest`, each 100 read, each posted up to ten days into its segment.
fn six_running_reads(longest: u64) -> (SyncPlan, Vec<Task>) {
    let mut c = config();
    c.split_running = Some(true);
    c.page_size = Some(100);
    let mut plan = SyncPlan::new(c, None).unwrap();
    list(&mut plan, &[(A, "Alpha"), (B, "Beta")]);
    let tasks = drain(&mut plan);
    let inv: Vec<Task> = tasks
        .into_iter()
        .filter(|t| t.entity == "purchaseInvoices")
        .collect();
    assert_eq!(inv.len(), 6);
    for (n, t) in inv.iter().enumerate() {
        let (from, _) = posting_window(&plan, t.stream);
        let link = format!("https://bc/v2.0/t/prod/{}&$skiptoken=1", t.url);
        plan.page_done(
            t.id,
            PageInfo {
                next_link: Some(&link),
                count: Some(if n == 4 { longest } else { 1000 }),
                records: Some(100),
                latest_posting: Some(from.add_days(10)),
                ..Default::default()
            },
        );
    }
    (plan, inv)
}

#[test]
fn a_read_that_would_end_last_is_split_before_slots_idle() {
    // Six reads of 9 pages left and five one-page reads for 5 slots: each ends about when the
    // others do; no split.
    let (mut plan, _) = six_running_reads(1000);
    let next = drain(&mut plan);
    assert_eq!(next.len(), 6);
    assert_eq!(plan.run.streams.len(), 12);
    // One read of 29 pages left, more than the slots' share of all 79 left: it alone is split
    // (again as it goes on), though no slot is free.
    let (mut plan, inv) = six_running_reads(3000);
    let (from, to) = posting_window(&plan, inv[4].stream);
    let next = drain(&mut plan);
    assert_eq!(next[0].stream, inv[4].stream);
    assert_eq!(
        next[1].stream,
        plan.run.streams.last().unwrap().id,
        "the new read next"
    );
    assert!(next[1].first_page);
    assert_eq!(plan.run.streams.len(), 13);
    let (mid, end) = posting_window(&plan, next[1].stream);
    assert_eq!(posting_window(&plan, inv[4].stream), (from, Some(mid)));
    assert_eq!(end, to);
}

#[test]
fn a_read_is_split_only_when_it_is_safe() {
    let split = |plan: &mut SyncPlan| {
        let before = plan.run.streams.len();
        while plan.next_task().is_some() {}
        plan.run.streams.len() > before
    };
    // The baseline splits (see above).
    assert!(split(&mut running_read(100, 1000, Some("2026-01-10")).0));
    // Fewer than 4 pages left: no split (the halves would cost more requests).
    assert!(!split(&mut running_read(100, 450, Some("2026-01-10")).0));
    // The posting dates of a page were not all known: never split.
    assert!(!split(&mut running_read(100, 1000, None).0));
    // Less than two days left after the latest date read.
    assert!(!split(&mut running_read(100, 1000, Some("2026-11-26")).0));
    // Turned off.
    let (mut plan, _) = running_read(100, 1000, Some("2026-01-10"));
    plan.settings.split_running = false;
    assert!(!split(&mut plan));
    // A next link whose filter is not the plan's: no split, and none later.
    let (mut plan, _) = running_read_linked(
        100,
        1000,
        Some("2026-01-10"),
        Some("https://bc/p?$filter=something%20else&$skiptoken=7"),
    );
    assert!(!split(&mut plan));
    assert!(plan.run.streams.iter().any(|s| s.no_split));
}

/// Runs a sync in rounds: every request in flight takes one round, then the slots are filled
/// again. Returns the rounds, the requests and what the run ended with.
fn run_rounds(bc: &Bc, cfg: SyncConfig, store: &mut Store) -> (usize, usize, Engine) {
    let mut plan = SyncPlan::new(cfg, None).unwrap();
    let mut engine = Engine::new(engine_options(plan.window_start())).unwrap();
    plan.begin(&mut engine);
    let (mut rounds, mut requests) = (0, 0);
    loop {
        let mut in_flight = Vec::new();
        while in_flight.len() < plan.concurrency() as usize {
            match plan.next_task() {
                Some(t) => in_flight.push(t),
                None => break,
            }
        }
        if in_flight.is_empty() {
            break;
        }
        rounds += 1;
        for t in in_flight {
            requests += 1;
            let p = bc.serve(&plan, &t);
            let ack = plan.page_done(
                t.id,
                PageInfo {
                    next_link: p.next.as_deref(),
                    count: p.count,
                    records: Some(p.records),
                    latest_posting: p.latest,
                    text: Some(&p.text),
                    ..Default::default()
                },
            );
            assert!(ack.ingest);
            for id in p.ids {
                *store.read.entry(id).or_default() += 1;
            }
            engine.add_page_text(
                crate::bc::Entity::parse(t.entity),
                t.company_id.as_deref(),
                &p.text,
            );
        }
    }
    store.document_reads = document_reads(&plan);
    plan.finish(&mut engine).unwrap();
    (rounds, requests, engine)
}

#[test]
fn splitting_running_reads_shortens_the_run_without_more_requests() {
    // Company A has four times B's invoices: B's segments end early, and without splitting
    // A's two chains of pages are the run's length.
    let mut bc = Bc::new(4000).in_date_order();
    bc.companies[1].1.truncate(1000);
    let window = Date::parse_bc("2025-11-26").unwrap().unwrap();
    let truth: BTreeSet<String> = bc.truth(window).into_iter().map(|(id, _)| id).collect();
    let mut results = Vec::new();
    for split in [false, true] {
        let mut c = sim_config(50);
        c.split_running = Some(split);
        let mut store = Store::default();
        let (rounds, requests, mut e) = run_rounds(&bc, c, &mut store);
        // Every invoice read exactly once, and nothing else.
        assert!(
            store.read.values().all(|n| *n == 1),
            "split {split}: a document read twice"
        );
        assert_eq!(
            store.read.keys().cloned().collect::<BTreeSet<_>>(),
            truth,
            "split {split}"
        );
        assert_eq!(held(&mut e), bc.truth(window));
        results.push((
            rounds,
            requests,
            store.document_reads,
            same_data_state(&mut e),
        ));
    }
    let (unsplit, split) = (&results[0], &results[1]);
    eprintln!(
        "rounds, requests, reads: unsplit {:?}, split {:?}",
        (unsplit.0, unsplit.1, unsplit.2),
        (split.0, split.1, split.2)
    );
    assert_eq!(unsplit.2, 6, "3 segments per company");
    assert!(split.2 > unsplit.2, "reads were split: {results:?}");
    assert!(
        split.0 * 10 <= unsplit.0 * 8,
        "rounds {} split vs {} unsplit",
        split.0,
        unsplit.0
    );
    assert!(
        split.1 <= unsplit.1 + 1,
        "requests {} split vs {} unsplit",
        split.1,
        unsplit.1
    );
    // The same data, whatever the pages.
    assert!(same_data(&split.3, &unsplit.3));
}

fn same_data_state(e: &mut Engine) -> Vec<u8> {
    e.export_state()
}

#[test]
fn split_reads_resume_from_any_checkpoint_to_the_same_result() {
    // Unequal companies, so that reads are split at the end.
    let mut bc = Bc::new(1200).in_date_order();
    bc.companies[1].1.truncate(300);
    let window = Date::parse_bc("2025-11-26").unwrap().unwrap();
    let mut clean_store = Store::default();
    let (clean, _) = run(&bc, split_sim_config(20), &mut clean_store, None, None).unwrap();
    assert!(
        clean_store.document_reads > 6,
        "the uninterrupted run split reads: {}",
        clean_store.document_reads
    );
    eprintln!(
        "{} pages, {} document reads",
        clean_store.requests, clean_store.document_reads
    );
    let want = clean.export_state();
    let mut resumed_a_split = false;
    let pages = clean_store.requests;
    for kill in [
        3,
        10,
        pages / 3,
        pages / 2,
        pages * 2 / 3,
        pages - 8,
        pages - 4,
        pages - 2,
    ] {
        let mut store = Store::default();
        assert!(run(&bc, split_sim_config(20), &mut store, Some(kill), None).is_none());
        let mut resumed = None;
        for k in 0..100 {
            let ck = store.checkpoint.clone().unwrap();
            let reads = checkpoint::parse(&ck).unwrap().run.map_or(0, |r| {
                r.streams.iter().filter(|s| s.kind.is_document()).count()
            });
            resumed_a_split |= reads > 6;
            if let Some(r) = run(&bc, split_sim_config(20), &mut store, Some(7 + k % 5), None) {
                resumed = Some(r);
                break;
            }
        }
        let (mut e, out) = resumed.expect("finishes");
        assert!(out.resumed);
        assert_eq!(held(&mut e), bc.truth(window), "kill after {kill}");
        assert!(
            store.read.values().all(|n| *n == 1),
            "kill after {kill}: a document read twice"
        );
        assert_eq!(
            store.read.len(),
            bc.truth(window).len(),
            "kill after {kill}"
        );
        assert!(
            same_data(&e.export_state(), &want),
            "kill after {kill}: same state as an uninterrupted run"
        );
    }
    assert!(resumed_a_split, "some checkpoint held a split read");
}
