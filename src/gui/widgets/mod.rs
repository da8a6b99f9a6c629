//! Widgets shared by several screens.

pub mod state_badge;
