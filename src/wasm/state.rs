//! The engine's state, out and in: `exportState`/`fromState`, the same in pieces
//! (`StateExport`, `StateImport`) for hosts that store a state in pieces (a file written as it
//! comes, D1 rows of at most 1 MB), and `fromStates`, which merges the states of several syncs.
//!
//! A state is bytes (`Uint8Array`, format version 2, `src/state/`). Every entry point that
//! reads one also takes a version 1 state (the JSON text releases up to 0.1 wrote), as a string
//! or its UTF-8 bytes, so upgraders keep their checkpoints: it is migrated on read, and the next
//! export is version 2.

use super::engine::options_arg;
use super::interop::{config_error, js_error, js_string_to_utf8};
use super::Engine;
use crate::engine::Engine as Core;
use crate::error::ErrorCode;
use js_sys::JsString;
use wasm_bindgen::prelude::*;

/// The bytes of a state argument: a `Uint8Array`, or a string (a version 1 state's text).
fn state_bytes(v: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(bytes) = v.dyn_ref::<js_sys::Uint8Array>() {
        Ok(bytes.to_vec())
    } else if let Some(text) = v.dyn_ref::<JsString>() {
        Ok(js_string_to_utf8(text).into_bytes())
    } else {
        Err(js_error(
            ErrorCode::InvalidArgument,
            &format!("{what} must be a Uint8Array (the bytes of a state.bcs written by exportState()) or a string (a version 1 state's text)"),
            None,
        ))
    }
}

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// The engine's state as versioned bytes (a `Uint8Array`), for `Engine.fromState` (a
    /// checkpoint, or the dashboard rebuilding the engine from an output directory).
    /// Deterministic: the same engine gives the same bytes.
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> Vec<u8> {
        self.core.export_state()
    }

    /// An engine configured by `options` holding what `state` holds: the bytes of
    /// `exportState()`, or a version 1 state (its text as a string, or its UTF-8 bytes).
    /// Throws with `code` STATE_INVALID, STATE_VERSION or STATE_FOREIGN, INVALID_ARGUMENT for
    /// another type, or an options code.
    #[wasm_bindgen(js_name = fromState)]
    pub fn from_state(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] state: JsValue,
    ) -> Result<Engine, JsValue> {
        let o = options_arg(options)?;
        let bytes = state_bytes(&state, "the state")?;
        Core::from_state(o, &bytes)
            .map(|core| Engine { core })
            .map_err(config_error)
    }
}

/// The engine's state in pieces of at most `budget` bytes, for hosts that store it in pieces:
/// `const x = new StateExport(engine); for (let c; (c = x.next(engine)) !== undefined;) write(c)`.
/// The pieces joined are `engine.exportState()`; do not change the engine in between.
#[wasm_bindgen(js_name = StateExport)]
pub struct StateExport {
    core: crate::state::StateWriter,
}

#[wasm_bindgen(js_class = StateExport)]
impl StateExport {
    #[wasm_bindgen(constructor)]
    pub fn new(engine: &Engine) -> StateExport {
        StateExport {
            core: crate::state::StateWriter::new(&engine.core),
        }
    }

    /// The next piece (a `Uint8Array` of at most `budget` bytes, default 1 MB), or undefined
    /// when the state is complete.
    pub fn next(&mut self, engine: &Engine, budget: Option<u32>) -> Option<Vec<u8>> {
        self.core
            .next_chunk(&engine.core, budget.unwrap_or(1 << 20).max(1) as usize)
    }

    /// The same as `next()`. Kept from 0.1, where `next()` gave text and `nextBytes()` its
    /// UTF-8, so hosts that asked for bytes keep working; pieces of both may be mixed.
    #[wasm_bindgen(js_name = nextBytes)]
    pub fn next_bytes(&mut self, engine: &Engine, budget: Option<u32>) -> Option<Vec<u8>> {
        self.next(engine, budget)
    }
}

/// Rebuilds an engine from a state given in pieces (a state file read a chunk at a time, D1
/// rows): `const x = new StateImport(options); x.push(piece); ...; const engine = x.finish()`.
/// The same checks and errors as `Engine.fromState`; a piece refused spends the importer.
#[wasm_bindgen(js_name = StateImport)]
pub struct StateImport {
    core: crate::state::StateReader,
}

#[wasm_bindgen(js_class = StateImport)]
impl StateImport {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue,
    ) -> Result<StateImport, JsValue> {
        let o = options_arg(options)?;
        crate::state::StateReader::new(o)
            .map(|core| StateImport { core })
            .map_err(config_error)
    }

    /// The next piece of the state: bytes (`Uint8Array`, cut anywhere), or text (pieces of a
    /// version 1 state's text, for upgraders). Any other type of piece is an `INVALID_ARGUMENT`
    /// error.
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] piece: JsValue,
    ) -> Result<(), JsValue> {
        let r = if let Some(bytes) = piece.dyn_ref::<js_sys::Uint8Array>() {
            self.core.push_vec(bytes.to_vec())
        } else if let Some(text) = piece.dyn_ref::<JsString>() {
            self.core.push_text(&js_string_to_utf8(text))
        } else {
            return Err(js_error(
                ErrorCode::InvalidArgument,
                "a state piece must be a Uint8Array (bytes of a state.bcs) or a string (a version 1 state's text)",
                None,
            ));
        };
        r.map_err(config_error)
    }

    /// The engine; throws if the state was not whole.
    pub fn finish(self) -> Result<Engine, JsValue> {
        self.core
            .finish()
            .map(|core| Engine { core })
            .map_err(config_error)
    }
}

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// One engine, configured by `options`, from the `exportState()` bytes of syncs of different
    /// companies of one environment (see src/state_merge.rs): every state's companies, and the
    /// users and company list from the first state that holds users. Throws with `code`
    /// STATE_INVALID, STATE_VERSION, STATE_FOREIGN (with `path` "states/{index}/...") or
    /// STATE_MERGE_OVERLAP (two states hold one company), or an options code.
    #[wasm_bindgen(js_name = fromStates)]
    pub fn from_states(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Array<Uint8Array | string>")] states: Vec<JsValue>,
    ) -> Result<Engine, JsValue> {
        let o = options_arg(options)?;
        let mut all = Vec::with_capacity(states.len());
        for (i, s) in states.iter().enumerate() {
            all.push(state_bytes(s, &format!("states[{i}]"))?);
        }
        let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        Core::from_states(o, &refs)
            .map(|core| Engine { core })
            .map_err(config_error)
    }
}
