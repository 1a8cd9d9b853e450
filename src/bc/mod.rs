//! Business Central payloads.
pub mod enums;
pub use enums::LineType;
