//! flowdesk: the flowServ / Reproducible Open Benchmarks platform as a desktop app.
//!
//! The library holds everything; the binary (`main.rs`) is a thin edge that turns
//! command-line arguments into calls on it. Data flows one way:
//! `cli`/`gui` → `client` → `service` → (`template`, `workflow`, `engine`,
//! `store`), with `model` the vocabulary of runs they all share.

pub mod cli;
pub mod client;
pub mod config;
pub mod display;
pub mod engine;
pub mod error;
pub mod gui;
pub mod model;
pub mod paths;
pub mod remote;
pub mod service;
pub mod stats;
pub mod store;
pub mod template;
pub mod workflow;
