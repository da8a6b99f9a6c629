//! Serial workflows: the normalized step list both template syntaxes turn into,
//! and the substitution of `${var}` in commands.

pub mod steps;
pub mod vars;

pub use steps::{Action, SerialWorkflow, Step};
