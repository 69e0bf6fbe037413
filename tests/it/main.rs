//! The integration tests, one crate so the library (and polars) links once: each module runs
//! against a real store (`LICWATCH_TEST_ENGINE=sqlite|postgres`), the built binary and, for mail,
//! a real SMTP server.

mod browser;
mod cli;
mod common;
mod draw;
mod fencing;
mod ingest;
mod measures;
mod messy;
mod report;
mod risk;
mod scheduler;
mod store;
