//! flowdesk: the flowServ / Reproducible Open Benchmarks platform as a desktop app.
//!
//! The library holds everything; the binary (`main.rs`) is a thin edge that turns
//! command-line arguments into calls on it. Data flows one way:
//! `cli`/`gui` → `service` → (`template`, `workflow`, `engine`, `store`).

pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod gui;
pub mod paths;
pub mod remote;
pub mod service;
pub mod store;
pub mod template;
pub mod workflow;
