//! Widgets shared by several screens.

pub mod buttons;
pub mod column_chooser;
pub mod file_view;
pub mod log_view;
pub mod markdown;
pub mod parameter_form;
pub mod parameter_table;
pub mod plot;
pub mod preview;
pub mod provenance;
pub mod repro_badge;
pub mod spinner;
pub mod state_badge;
pub mod table_cells;
pub mod toasts;
