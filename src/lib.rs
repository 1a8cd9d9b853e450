//! bc-spend core (work in progress skeleton).
pub mod bc;
pub mod catalog;
pub mod error;
pub mod matching;
