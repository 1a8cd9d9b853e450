use super::*;
use crate::state::v1::tests::{
    invoice, loaded, observable, options, page, varied_documents, C1, V1,
};
use crate::state::{StateReader, StateWriter};

fn opts() -> crate::engine::EngineOptions {
    options("2025-11-01")
}

/// The rows of a state, to forge a bad one.
fn rows(bytes: &[u8]) -> StateV2<'_> {
    postcard::from_bytes(&bytes[HEADER_LEN..]).unwrap()
}

fn bytes_of(s: &StateV2<'_>) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&postcard::to_allocvec(s).unwrap());
    out
}

fn err(bytes: &[u8]) -> ConfigError {
    Engine::from_state(opts(), bytes)
        .err()
        .expect("must be refused")
}

#[test]
fn round_trip_is_exact() {
    let mut e = loaded();
    assert_eq!(e.transactions().len(), 3);
    let bytes = e.export_state();
    assert!(bytes.starts_with(b"BCSPEND\0\x02\x00"));
    let mut back = Engine::from_state(opts(), &bytes).unwrap();
    assert_eq!(
        back.export_state(),
        bytes,
        "export is deterministic and lossless"
    );
    assert_eq!(observable(&mut back), observable(&mut e));
    // Built figures are kept too, and read back to the same bytes.
    e.summary();
    let built = e.export_state();
    assert_ne!(built, bytes);
    assert!(rows(&built).built.is_some());
    assert_eq!(
        Engine::from_state(opts(), &built).unwrap().export_state(),
        built
    );
    // Versions of documents not held survive: an older Paid copy of the Open invoice stays out.
    let stale = page(
        "purchaseInvoices",
        &[invoice(
            "11111111-0000-0000-0000-000000000003",
            "2026-02-06",
            "Paid",
            "2026-03-01T00:00:00Z",
            "7",
        )],
    );
    back.add_page_text(None, None, &stale);
    e.add_page_text(None, None, &stale);
    assert_eq!(back.transactions().len(), 3);
    assert_eq!(observable(&mut back), observable(&mut e));
    let empty = Engine::new(opts()).unwrap().export_state();
    assert_eq!(
        Engine::from_state(opts(), &empty).unwrap().export_state(),
        empty
    );
}

#[test]
fn a_v1_state_migrates_to_the_same_engine() {
    let mut e = loaded();
    e.summary();
    let v1 = e.export_v1();
    let mut from_v1 = Engine::from_state(opts(), v1.as_bytes()).unwrap();
    let v2 = from_v1.export_state();
    // A v1 state holds no match decisions; the first build makes them.
    assert!(rows(&v2).decisions.is_none());
    // (`summary()` is answered by the kept figures without a build.)
    from_v1.transactions();
    assert_eq!(
        from_v1.export_state(),
        e.export_state(),
        "v1 -> v2, built, is the v2 of the same engine"
    );
    let mut from_v2 = Engine::from_state(opts(), &v2).unwrap();
    assert_eq!(observable(&mut from_v2), observable(&mut e));
    assert_eq!(observable(&mut from_v1), observable(&mut e));
    // Leading blank space before the JSON is still v1.
    let spaced = format!("\n  {v1}");
    assert_eq!(
        Engine::from_state(opts(), spaced.as_bytes())
            .unwrap()
            .export_state(),
        v2
    );
}

#[test]
fn pieces_of_any_size_make_and_read_the_same_state() {
    let e = loaded();
    let whole = e.export_state();
    for budget in [1, 50, 700, 1 << 20] {
        let mut w = StateWriter::new(&e);
        let mut parts = Vec::new();
        while let Some(c) = w.next_chunk(&e, budget) {
            assert!(c.len() <= budget);
            parts.push(c);
        }
        assert_eq!(parts.concat(), whole, "budget {budget}");
    }
    // Encoded in pieces of its own (1 MB in use): any piece size, any budget, the same bytes as
    // one postcard buffer after the header.
    let reference = super::encode_into(&e, postcard::ser_flavors::AllocVec::new()).unwrap();
    assert_eq!(whole, reference);
    assert!(
        whole.len() > 3 * 64,
        "a state of several pieces of 64 bytes: {}",
        whole.len()
    );
    for piece in [1, 5, 64, 4096] {
        let pieces = super::encode_pieces(&e, piece);
        assert!(pieces[..pieces.len() - 1].iter().all(|p| p.len() == piece));
        assert_eq!(pieces.concat(), whole, "pieces of {piece}");
        for budget in [1, 3, 63, 64, 65, 1 << 20] {
            let mut w = StateWriter::with_piece_size(&e, piece);
            let mut parts = Vec::new();
            while let Some(c) = w.next_chunk(&e, budget) {
                parts.push(c);
            }
            let (last, full) = parts.split_last().unwrap();
            assert!(
                full.iter().all(|c| c.len() == budget) && !last.is_empty() && last.len() <= budget
            );
            assert_eq!(parts.concat(), whole, "pieces of {piece}, budget {budget}");
        }
    }
    for step in [1, 3, 9, 64, 1000] {
        let mut r = StateReader::new(opts()).unwrap();
        // Borrowed and given pieces, mixed (the wasm boundary gives its copies away).
        for (i, piece) in whole.chunks(step).enumerate() {
            if i % 2 == 0 {
                r.push(piece).unwrap();
            } else {
                r.push_vec(piece.to_vec()).unwrap();
            }
        }
        assert_eq!(
            r.finish().unwrap().export_state(),
            whole,
            "pieces of {step}"
        );
    }
    // A v1 state's text in pieces, as bytes or text: read as v1.
    let v1 = e.export_v1();
    for step in [1, 7, 4096] {
        let mut r = StateReader::new(opts()).unwrap();
        for piece in v1.as_bytes().chunks(step) {
            r.push(piece).unwrap();
        }
        assert_eq!(
            r.finish().unwrap().export_state(),
            whole,
            "v1 in pieces of {step}"
        );
    }
    let mut r = StateReader::new(opts()).unwrap();
    r.push_text(&v1).unwrap();
    assert_eq!(r.finish().unwrap().export_state(), whole);
}

#[test]
fn texts_and_ids_are_stored_once() {
    let mut e = Engine::new(opts()).unwrap();
    let records: Vec<String> = (10..70)
        .map(|i| {
            invoice(
                &format!("11111111-0000-0000-0000-0000000000{i}"),
                "2026-01-05",
                "Paid",
                "2026-02-01T10:00:00Z",
                "10",
            )
        })
        .collect();
    e.add_page_text(None, None, &page("purchaseInvoices", &records));
    assert_eq!(e.transactions().len(), 60);
    let bytes = e.export_state();
    let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
    assert_eq!(
        count(b"Slack Pro"),
        1,
        "a description repeated on 60 invoices"
    );
    assert_eq!(count(b"Slack Technologies Limited"), 1);
    // The vendor's GUID is 16 bytes, once.
    let vendor = canonical_guid("aaaaaaaa-0000-0000-0000-000000000001").unwrap();
    assert_eq!(count(&vendor), 1);
    assert_eq!(
        count(b"aaaaaaaa-0000"),
        0,
        "canonical GUIDs are not stored as text"
    );
    // Well under the v1 JSON of the same engine.
    assert!(
        bytes.len() * 4 < e.export_v1().len(),
        "{} bytes",
        bytes.len()
    );
}

/// The decisions kept with the state share its string table: the description and vendor name
/// they are keyed by are stored once, and an engine read from the state analyses no line again.
#[test]
fn decisions_are_kept_with_the_state_and_share_its_texts() {
    let mut e = loaded();
    e.summary();
    let computed = e.decisions_computed();
    assert!(computed > 0);
    let bytes = e.export_state();
    let s = rows(&bytes);
    let d = s
        .decisions
        .as_ref()
        .expect("a built engine keeps its decisions");
    assert!(d.snapshot.texts.is_empty());
    assert!(!d.snapshot.lines.is_empty());
    let mut texts: Vec<&str> = d.texts.iter().map(|&i| s.strings[i as usize]).collect();
    let n = texts.len();
    texts.sort_unstable();
    texts.dedup();
    assert_eq!(texts.len(), n, "each text once");
    let mut strings = s.strings.clone();
    strings.sort_unstable();
    strings.dedup();
    assert_eq!(strings.len(), s.strings.len(), "the state's strings once");
    // Written in parts (`encode_into`), the bytes are those of the one `StateV2` they read as.
    assert_eq!(bytes_of(&s), bytes);
    // The verdicts are in the order of their keys' texts (vendor name, website, e-mail,
    // description, description2, account; no text first), whatever their handles.
    let snap = e.export_decisions();
    let text = |i: Option<u32>| i.map(|i| snap.texts[i as usize].as_str());
    let keys: Vec<_> = snap
        .lines
        .iter()
        .map(|l| {
            let v = &snap.vendors[l.vendor as usize];
            (
                [
                    text(Some(v.name)),
                    text(v.website),
                    text(v.email),
                    text(Some(l.description)),
                    text(l.description2),
                    text(l.account),
                ],
                l.class,
            )
        })
        .collect();
    assert!(keys.len() >= 2, "{}", keys.len());
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "in key order");
    let mut back = Engine::from_state(opts(), &bytes).unwrap();
    assert_eq!(back.export_decisions(), e.export_decisions());
    back.summary();
    assert_eq!(back.decisions_computed(), 0);
    assert_eq!(back.export_state(), bytes);
    // A v1 state holds no decisions: read, nothing is kept until a build.
    let v1 = Engine::from_state(opts(), e.export_v1().as_bytes()).unwrap();
    assert!(v1.export_decisions().lines.is_empty());
    assert!(rows(&v1.export_state()).decisions.is_none());
}

#[test]
fn every_value_and_extreme_reads_back_exactly() {
    // Documents with every member present and absent in turn, texts that need escaping, and
    // amounts and dates at the ends of their ranges (the deltas wrap, so extremes are exact).
    let mut docs = varied_documents();
    let min = crate::date::Date::new(1, 1, 1).unwrap();
    let max = crate::date::Date::new(9999, 12, 31).unwrap();
    for (i, d) in docs.iter_mut().enumerate() {
        d.status = DocStatus::Paid;
        let far = |x: i64| crate::money::Amount(if x == i64::MIN { -i64::MAX } else { x });
        d.total_excluding_tax = d.total_excluding_tax.map(|a| far(a.0));
        d.total_tax = d.total_tax.map(|a| far(a.0));
        d.total_including_tax = d.total_including_tax.map(|a| far(a.0));
        d.discount_amount = d.discount_amount.map(|a| far(a.0));
        if i % 3 == 0 {
            d.posting_date = Some(max);
            d.document_date = Some(min);
            d.due_date = Some(min);
        }
        // Ids as the engine holds them: GUIDs, and other texts kept as they are (mixed case).
        if i % 2 == 1 {
            d.id = format!("Doc {i} – 東京").into();
        }
        d.vendor_id = d
            .vendor_id
            .as_ref()
            .map(|_| format!("Vendor-{}", i % 4).into());
        d.applies_to_invoice_id = d
            .applies_to_invoice_id
            .as_ref()
            .map(|_| format!("aaaaaaaa-0000-0000-0000-{i:012x}").into());
        for (k, l) in d.lines.iter_mut().flatten().enumerate() {
            l.id = l.id.as_ref().map(|_| {
                if k % 2 == 0 {
                    format!("bbbbbbbb-{i:04x}-0000-0000-{k:012x}").into()
                } else {
                    format!("Line {i}.{k}").into()
                }
            });
            l.net_amount = far(l.net_amount.0);
            l.net_tax_amount = far(l.net_tax_amount.0);
            l.net_amount_including_tax = far(l.net_amount_including_tax.0);
            l.invoice_discount_allocation = far(l.invoice_discount_allocation.0);
            l.quantity = l.quantity.map(|a| far(a.0));
            l.unit_cost = l.unit_cost.map(|a| far(a.0));
        }
    }
    let mut o = opts();
    o.window_start = Some("0002-01-01".into());
    let mut e = Engine::new(o.clone()).unwrap();
    for d in &docs {
        let kind = if d.kind == DocKind::CreditMemo {
            KIND_CREDIT_MEMO
        } else {
            KIND_INVOICE
        };
        if let Some(t) = d.last_modified {
            e.versions.insert((C1.into(), kind, d.id.clone()), t);
        }
        e.docs.insert(
            (C1.into(), kind, d.id.clone()),
            Box::new(HeldDocument::new(d.clone())),
        );
    }
    assert!(e.docs.len() > 10);
    let bytes = e.export_state();
    let back = Engine::from_state(o, &bytes).unwrap();
    assert_eq!(back.export_state(), bytes);
    let held: Vec<&Document> = e.docs.values().map(|d| &***d).collect();
    let read: Vec<&Document> = back.docs.values().map(|d| &***d).collect();
    assert_eq!(read, held, "every member of every document, as it was");
}

#[test]
fn guids_round_trip_exactly_and_other_ids_are_kept_as_text() {
    for g in [
        "8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c",
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
    ] {
        assert_eq!(guid_text(&canonical_guid(g).unwrap()), g);
    }
    for other in [
        "8E1B3EF6-9C3E-EF11-8409-000D3A7E3F1C",
        "8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1",
        "8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1cc",
        "8e1b3ef69c3eef118409000d3a7e3f1c----",
        "{8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1}",
        "x1",
    ] {
        assert!(canonical_guid(other).is_none(), "{other}");
    }
    // A state holding a non-GUID document id reads back to the same bytes.
    let mut e = Engine::new(opts()).unwrap();
    e.add_page_text(
        None,
        None,
        &page(
            "purchaseInvoices",
            &[invoice(
                "INV-0042-XY",
                "2026-01-05",
                "Paid",
                "2026-02-01T10:00:00Z",
                "5",
            )],
        ),
    );
    assert_eq!(e.transactions().len(), 1);
    let bytes = e.export_state();
    let mut back = Engine::from_state(opts(), &bytes).unwrap();
    assert_eq!(back.export_state(), bytes);
    assert_eq!(observable(&mut back), observable(&mut e));
}

#[test]
fn not_a_state_a_newer_version_and_another_environment_are_clear_errors() {
    let bytes = loaded().export_state();
    assert_eq!(err(b"not a state").code, ErrorCode::StateInvalid);
    assert_eq!(err(b"").code, ErrorCode::StateInvalid);
    assert_eq!(err(b"  \n").code, ErrorCode::StateInvalid);
    assert_eq!(err(b"BCSP").code, ErrorCode::StateInvalid);
    assert_eq!(err(b"BCSPEND\0\x02").code, ErrorCode::StateInvalid);
    let mut newer = bytes.clone();
    newer[8] = 3;
    let e = err(&newer);
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::StateVersion, Some("version"))
    );
    assert!(e.message.contains("newer"), "{}", e.message);
    let mut older = bytes.clone();
    older[8] = 1;
    assert_eq!(err(&older).code, ErrorCode::StateInvalid);
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(err(&trailing).code, ErrorCode::StateInvalid);
    let mut other_env = opts();
    other_env.environment = Some("t/sandbox".into());
    let e = Engine::from_state(other_env, &bytes).err().unwrap();
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::StateForeign, Some("environment"))
    );
    // A v1 state of another format is still foreign.
    let e = err(br#"{"format":"bc-spend-sync-checkpoint","version":1}"#);
    assert_eq!(e.code, ErrorCode::StateForeign);
    // Options are still checked first-hand.
    let mut bad = opts();
    bad.line_mode = Some("weekly".into());
    assert_eq!(
        Engine::from_state(bad, &bytes).err().unwrap().code,
        ErrorCode::InvalidOption
    );
}

#[test]
fn indexes_and_values_out_of_range_name_their_path() {
    let mut e = loaded();
    e.summary();
    let bytes = e.export_state();
    let n_strings = rows(&bytes).strings.len() as u32;
    let n_ids = rows(&bytes).ids.len() as u32;
    let path = |f: &dyn Fn(&mut StateV2<'_>)| {
        let mut s = rows(&bytes);
        f(&mut s);
        let e = err(&bytes_of(&s));
        assert_eq!(e.code, ErrorCode::StateInvalid, "{e:?}");
        e.path.unwrap()
    };
    let doc = "companies/0/documents/0";
    assert_eq!(
        path(&|s| s.companies[0].documents[0].number = Some(n_strings)),
        format!("{doc}/number")
    );
    assert_eq!(
        path(&|s| s.companies[0].documents[0].id = Id::Text(n_strings)),
        format!("{doc}/id")
    );
    assert_eq!(
        path(&|s| s.companies[0].documents[0].vendor_id = Some(u32::MAX)),
        format!("{doc}/vendorId")
    );
    fn line<'s>(s: &'s mut StateV2<'_>) -> &'s mut LineV2 {
        &mut s.companies[0].documents[0].lines.as_mut().unwrap()[1]
    }
    assert_eq!(
        path(&|s| line(s).description = n_strings),
        format!("{doc}/lines/1/description")
    );
    assert_eq!(
        path(&|s| line(s).line_type = 8),
        format!("{doc}/lines/1/lineType")
    );
    assert_eq!(
        path(&|s| line(s).net_amount = i64::MIN),
        format!("{doc}/lines/1/netAmount")
    );
    assert_eq!(
        path(&|s| s.companies[0].documents[0].total_tax = Some(i64::MIN)),
        format!("{doc}/totalTax")
    );
    assert_eq!(
        path(&|s| s.companies[0].documents[0].posting_date = Some(i32::MAX)),
        format!("{doc}/postingDate")
    );
    assert_eq!(
        path(&|s| s.companies[0].documents[0].last_modified = Some(i64::MAX)),
        format!("{doc}/lastModified")
    );
    assert_eq!(
        path(&|s| s.companies[0].versions[0].0 = 2),
        "companies/0/versions/0"
    );
    assert_eq!(path(&|s| s.companies[0].id = n_ids + 7), "companies/0/id");
    assert_eq!(
        path(&|s| s.companies[0].vendors[0].name = Some(n_strings)),
        "companies/0/vendors/0/name"
    );
    assert_eq!(
        path(&|s| s.users[0].companies = vec![n_ids]),
        "users/0/companies/0"
    );
    assert_eq!(path(&|s| s.ids[0] = Id::Text(n_strings)), "ids/0");
    assert_eq!(
        path(&|s| s.diagnostics[0].severity = 3),
        "diagnostics/items/0/severity"
    );
    assert_eq!(
        path(&|s| s.diagnostics[0].code = s.environment),
        "diagnostics/items/0/code"
    );
    assert_eq!(
        path(&|s| s.per_code[0].1 = 1 << 40),
        format!("diagnostics/perCode/{}", {
            let s = rows(&bytes);
            s.strings[s.per_code[0].0 as usize].to_owned()
        })
    );
    // The counts of what a run read are written empty since they left the state; a state of
    // an earlier build holds them, checked as before (and then dropped).
    let counts = || CountsV2 {
        pages: 1,
        pages_rejected: 0,
        read: 2,
        accepted: 2,
        rejected: 0,
        not_paid: 0,
        outside_window: 0,
        disabled: 0,
        stale: 0,
    };
    assert!(rows(&bytes).counts.is_empty() && rows(&bytes).pages_seen.is_empty());
    assert_eq!(
        path(&|s| s.counts.push((s.environment, counts()))),
        "counts/0"
    );
    assert_eq!(
        path(&|s| s.pages_seen.push((s.environment, 0, 1))),
        "pagesSeen/0"
    );
    assert_eq!(
        path(&|s| s
            .pages_seen
            .push((s.diagnostics[0].entity.unwrap(), n_strings, 1))),
        "pagesSeen/0"
    );
    assert_eq!(
        path(&|s| s.built.as_mut().unwrap().key = s.environment),
        "built/key"
    );
    // The decisions: their texts are indexes into the state's strings, checked like the rest.
    fn dec<'s>(s: &'s mut StateV2<'_>) -> &'s mut DecisionsV2 {
        s.decisions
            .as_mut()
            .expect("a built engine keeps its decisions")
    }
    assert_eq!(path(&|s| dec(s).texts[3] = n_strings), "decisions/texts/3");
    assert_eq!(
        path(&|s| dec(s).snapshot.texts = vec!["x".into()]),
        "decisions/snapshot/texts"
    );
    // Two texts of the snapshot naming one string would make two handles of one key.
    assert_eq!(
        path(&|s| dec(s).texts[1] = dec(s).texts[0]),
        "decisions/texts/1"
    );
    assert_eq!(
        path(&|s| dec(s).snapshot.lines[0].description = u32::MAX),
        "decisions/lines/0"
    );
    let dup = |s: &mut StateV2<'_>| {
        let again = rows(&bytes).companies.remove(0).documents.remove(0);
        s.companies[0].documents.insert(1, again);
    };
    assert_eq!(path(&dup), "companies/0/documents/1");
}

#[test]
fn a_forged_length_allocates_nothing_it_has_no_bytes_for() {
    // A string table claiming 2^60 texts (then 2^40 bytes for the first text), in a state of
    // a few bytes: refused as cut off, at once, without reserving memory for the claim.
    let mut forged = MAGIC.to_vec();
    forged.extend_from_slice(&VERSION.to_le_bytes());
    forged.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
    forged.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x20, b'x']);
    let t = std::time::Instant::now();
    let e = err(&forged);
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::StateInvalid, Some("state"))
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(1));
}

/// The documents are read as their rows come (`DocsSeed`), with room reserved for the count the
/// state announces: a forged count reserves nothing (postcard gives no size hint past the bytes
/// left, and the reader caps it by the bytes too).
#[test]
fn a_forged_document_count_reserves_nothing_it_has_no_bytes_for() {
    let bytes = loaded().export_state();
    let s = rows(&bytes);
    let mut forged = MAGIC.to_vec();
    forged.extend_from_slice(&VERSION.to_le_bytes());
    let head = (
        &s.strings,
        &s.ids,
        s.environment,
        s.window_start,
        s.credit_memos,
    );
    forged.extend_from_slice(&postcard::to_allocvec(&head).unwrap());
    // One company (id 0, no record, no currency, no vendors) claiming 2^60 documents.
    forged.extend_from_slice(&[1, 0, 0, 0, 0]);
    forged.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
    let t = std::time::Instant::now();
    let e = err(&forged);
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::StateInvalid, Some("state"))
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn a_foreign_environment_is_checked_before_the_contents() {
    // A state of another environment is STATE_FOREIGN even when it also has bad rows: the
    // caller is told the cheaper fix first.
    let bytes = loaded().export_state();
    let mut s = rows(&bytes);
    s.companies[0].documents[0].number = Some(u32::MAX);
    let mut o = opts();
    o.environment = Some("t/sandbox".into());
    let e = Engine::from_state(o, &bytes_of(&s)).err().unwrap();
    assert_eq!(e.code, ErrorCode::StateForeign);
}

// proptest is a native dev-dependency (the wasm tests run under wasm-pack).
#[cfg(not(target_arch = "wasm32"))]
mod damaged {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Damaged bytes never panic the reader: a state cut anywhere, or with bytes changed, is
        /// `STATE_INVALID`, or (a changed amount, a changed letter) a valid state.
        #[test]
        fn damaged_states_never_panic(cut in 0usize..1 << 16, flips in proptest::collection::vec((0usize..1 << 16, 1u8..=255), 0..6)) {
            let mut e = loaded();
            e.summary();
            let whole = e.export_state();
            let mut bytes = whole.clone();
            for (at, x) in &flips {
                let i = at % bytes.len();
                bytes[i] ^= x;
            }
            if flips.is_empty() || cut % 2 == 0 {
                bytes.truncate(cut % whole.len());
            }
            match Engine::from_state(opts(), &bytes) {
                Ok(mut back) => {
                    // Whatever was read is a state of its own: it exports and reads back.
                    let again = back.export_state();
                    prop_assert_eq!(Engine::from_state(opts(), &again).unwrap().export_state(), again);
                    let _ = back.transactions();
                }
                Err(e) => prop_assert!(
                    matches!(e.code, ErrorCode::StateInvalid | ErrorCode::StateVersion | ErrorCode::StateForeign),
                    "{:?}", e
                ),
            }
            // The same bytes in pieces give the same answer.
            let mut r = StateReader::new(opts()).unwrap();
            let mut pushed = Ok(());
            for piece in bytes.chunks(97) {
                pushed = r.push(piece);
                if pushed.is_err() {
                    break;
                }
            }
            let whole_ok = Engine::from_state(opts(), &bytes).is_ok();
            prop_assert_eq!(pushed.and_then(|_| r.finish()).is_ok(), whole_ok);
        }
    }
}

#[test]
fn a_restored_engine_counts_what_it_reads() {
    let e = loaded();
    assert!(!e.counts.is_empty() && !e.pages_seen.is_empty());
    let mut back = Engine::from_state(opts(), &e.export_state()).unwrap();
    assert!(
        back.counts.is_empty() && back.pages_seen.is_empty(),
        "the state keeps no counts of what the engine that wrote it read"
    );
    // A page read after the restore is counted, and numbered, as in an engine that read it
    // alone: the counts are of what this engine read, never added to an earlier run's.
    let p = page(
        "purchaseInvoices",
        &[
            invoice(
                "11111111-0000-0000-0000-000000000009",
                "2026-03-05",
                "Paid",
                "2026-03-06T00:00:00Z",
                "9",
            ),
            r#"{"id":"x9","status":"Paid","totalAmountExcludingTax":"bad"}"#.into(),
        ],
    );
    back.add_page_text(None, None, &p);
    let mut alone = Engine::new(opts()).unwrap();
    alone.add_page_text(None, None, &p);
    assert_eq!(back.counts, alone.counts);
    let page_of = |e: &Engine| e.diags.items().last().and_then(|d| d.page);
    assert_eq!(page_of(&back), Some(0));
    assert_eq!(page_of(&back), page_of(&alone));
}

#[test]
fn a_state_written_with_the_counts_of_its_run_reads_and_drops_them() {
    // Written by `examples/write_state_fixture.rs` when the state kept the counts of its run.
    let old = include_bytes!("../../../tests/fixtures/state/v2-sample.bcs");
    let rows_of_old = rows(old);
    assert!(!rows_of_old.counts.is_empty() && !rows_of_old.pages_seen.is_empty());
    let o = crate::engine::EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some("line".into()),
        credit_memos: Some(true),
        environment: Some("tenant/production".into()),
        ..Default::default()
    };
    let e = Engine::from_state(o.clone(), old).unwrap();
    assert!(e.counts.is_empty() && e.pages_seen.is_empty());
    assert!(!e.docs.is_empty());
    let again = e.export_state();
    let rows_again = rows(&again);
    assert!(rows_again.counts.is_empty() && rows_again.pages_seen.is_empty());
    assert_eq!(rows_again.companies.len(), rows_of_old.companies.len());
    let mut back = Engine::from_state(o, &again).unwrap();
    let mut e = e;
    assert_eq!(observable(&mut back), observable(&mut e));
}

/// Equal texts of the held documents are one allocation, whether read from pages, restored
/// from a v2 state (one text per string-table entry, not per use) or migrated from v1, and the
/// engine's keys share the documents' texts; a document read after a restore shares them too.
#[test]
fn held_documents_share_their_repeated_texts_and_keys() {
    use crate::text::Text;
    fn check(e: &Engine, how: &str) {
        let docs: Vec<_> = e.docs.iter().collect();
        assert!(docs.len() >= 2, "{how}");
        let (k0, a) = docs[0];
        let (k1, b) = docs[1];
        let same = |x: &Option<Text>, y: &Option<Text>| {
            Text::ptr_eq(x.as_ref().unwrap(), y.as_ref().unwrap())
        };
        assert!(same(&a.vendor_name, &b.vendor_name), "{how}: vendor name");
        assert!(same(&a.vendor_id, &b.vendor_id), "{how}: vendor id");
        assert!(same(&a.currency_code, &b.currency_code), "{how}: currency");
        let (la, lb) = (&a.lines.as_ref().unwrap()[0], &b.lines.as_ref().unwrap()[0]);
        assert!(
            Text::ptr_eq(&la.description, &lb.description),
            "{how}: line description"
        );
        assert!(
            same(&la.object_number, &lb.object_number),
            "{how}: line account"
        );
        assert!(Text::ptr_eq(&k0.0, &k1.0), "{how}: the keys' company id");
        // A document's GUID is held as its 16 bytes: nothing to share, nothing allocated.
        assert!(
            k0.2 == a.id && a.id.guid().is_some(),
            "{how}: the key is the document's id, as bytes"
        );
        assert!(
            la.id.as_ref().is_some_and(|id| id.guid().is_some()),
            "{how}: a line's GUID is bytes"
        );
        let (vk, _) = e.versions.get_key_value(k0).unwrap();
        assert!(
            Text::ptr_eq(&vk.0, &k0.0) && vk.2 == a.id,
            "{how}: version key"
        );
        let cs = e.companies.get(k0.0.as_str()).unwrap();
        let (card, _) = cs
            .vendors
            .get_key_value(a.vendor_id.as_deref().unwrap())
            .unwrap();
        assert!(
            Text::ptr_eq(card, a.vendor_id.as_ref().unwrap()),
            "{how}: the vendor card's key"
        );
    }
    let e = loaded();
    check(&e, "read from pages");
    let bytes = e.export_state();
    let mut back = Engine::from_state(opts(), &bytes).unwrap();
    check(&back, "restored");
    let v1 = e.export_v1();
    check(
        &Engine::from_state(opts(), v1.as_bytes()).unwrap(),
        "migrated from v1",
    );
    back.add_page_text(
        None,
        None,
        &page(
            "purchaseInvoices",
            &[invoice(
                "11111111-0000-0000-0000-000000000009",
                "2026-03-05",
                "Paid",
                "2026-04-01T10:00:00Z",
                "300",
            )],
        ),
    );
    let new = back
        .docs
        .values()
        .find(|d| d.id.text().ends_with("09"))
        .expect("the new invoice is held");
    let old = back.docs.values().next().unwrap();
    assert!(Text::ptr_eq(
        new.vendor_name.as_ref().unwrap(),
        old.vendor_name.as_ref().unwrap()
    ));
    assert!(Text::ptr_eq(
        &new.lines.as_ref().unwrap()[0].description,
        &old.lines.as_ref().unwrap()[0].description
    ));
}
