//! Any bytes as a page of any entity: the engine never panics, and for every entity the
//! records read equal those accepted plus those rejected.
#![no_main]

use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut e = Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some(["invoice", "line", "auto"][data.len() % 3].into()),
        credit_memos: Some(true),
        ..Default::default()
    })
    .unwrap();
    // With the entity given, and with the entity read from the page's own @odata.context.
    for entity in Entity::ALL {
        e.add_page_text(Some(entity), Some("c"), &text);
    }
    e.add_page_text(None, None, &text);
    let _ = e.transactions().len();
    let _ = e.users();
    let _ = e.preview_rules(&serde_json::json!([]));
    for (entity, c) in &e.summary().counts {
        assert_eq!(c.read, c.accepted + c.rejected, "{entity}");
    }
});
