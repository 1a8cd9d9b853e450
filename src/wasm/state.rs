//! The engine's state, out and in: `exportState`/`fromState`, the same in pieces
//! (`StateExport`, `StateImport`) for states too large to hold as one string, and `fromStates`,
//! which merges the states of several syncs.

use super::engine::options_arg;
use super::interop::{config_error, js_error, js_string_to_utf8};
use super::Engine;
use crate::engine::Engine as Core;
use crate::error::ErrorCode;
use js_sys::JsString;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// The engine's state as versioned JSON text, for `Engine.fromState` (a checkpoint, or the
    /// dashboard rebuilding the engine from an output directory).
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> String {
        self.core.export_state()
    }

    /// An engine configured by `options` holding what `stateText` (from `exportState()`) holds.
    /// Throws with `code` STATE_INVALID, STATE_VERSION or STATE_FOREIGN, or an options code.
    #[wasm_bindgen(js_name = fromState)]
    pub fn from_state(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue,
        #[wasm_bindgen(js_name = stateText)] state_text: &str,
    ) -> Result<Engine, JsValue> {
        let o = options_arg(options)?;
        Core::from_state(o, state_text)
            .map(|core| Engine { core })
            .map_err(config_error)
    }
}

/// The engine's state in pieces of about `budget` bytes, for writing a large state without
/// holding it whole: `const x = new StateExport(engine); for (let c; (c = x.next(engine)) !== undefined;) write(c)`.
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

    /// The next piece (default about 1 MB), or undefined when the state is complete.
    pub fn next(&mut self, engine: &Engine, budget: Option<u32>) -> Option<String> {
        self.core
            .next_chunk(&engine.core, budget.unwrap_or(1 << 20).max(1) as usize)
    }

    /// `next()` as UTF-8 bytes (a `Uint8Array` of whole lines), for a host that writes them to a
    /// file or a stream: no decoding into a string and encoding back. Pieces of `next()` and
    /// `nextBytes()` may be mixed; each continues where the last left off.
    #[wasm_bindgen(js_name = nextBytes)]
    pub fn next_bytes(&mut self, engine: &Engine, budget: Option<u32>) -> Option<Vec<u8>> {
        self.core
            .next_chunk_bytes(&engine.core, budget.unwrap_or(1 << 20).max(1) as usize)
    }
}

/// Rebuilds an engine from state text given in pieces (a large state.json read a chunk at a
/// time): `const x = new StateImport(options); x.push(piece); ...; const engine = x.finish()`.
/// The same checks and errors as `Engine.fromState`.
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

    /// The next piece of the state: text, or the file's bytes (`Uint8Array`, e.g. the chunks of
    /// `createReadStream(path)` without an encoding), which skips decoding them into a JS string
    /// and encoding them back. Pieces may cut lines anywhere; bytes may also cut characters (text
    /// cannot). A line that is not UTF-8 is a `STATE_INVALID` error; any other type of piece an
    /// `INVALID_ARGUMENT` one.
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] piece: JsValue,
    ) -> Result<(), JsValue> {
        let r = if let Some(text) = piece.dyn_ref::<JsString>() {
            self.core.push(&js_string_to_utf8(text))
        } else if let Some(bytes) = piece.dyn_ref::<js_sys::Uint8Array>() {
            self.core.push_bytes(&bytes.to_vec())
        } else {
            return Err(js_error(
                ErrorCode::InvalidArgument,
                "a state piece must be a string or a Uint8Array (the bytes of a state.json)",
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
    /// One engine, configured by `options`, from the `exportState()` texts of syncs of different
    /// companies of one environment (see src/state_merge.rs): every state's companies, and the
    /// users and company list from the first state that holds users. Throws with `code`
    /// STATE_INVALID, STATE_VERSION, STATE_FOREIGN (with `path` "states/{index}/...") or
    /// STATE_MERGE_OVERLAP (two states hold one company), or an options code.
    #[wasm_bindgen(js_name = fromStates)]
    pub fn from_states(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue,
        states: Vec<String>,
    ) -> Result<Engine, JsValue> {
        let o = options_arg(options)?;
        let texts: Vec<&str> = states.iter().map(String::as_str).collect();
        Core::from_states(o, &texts)
            .map(|core| Engine { core })
            .map_err(config_error)
    }
}
