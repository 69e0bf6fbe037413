//! licwatch: post-licence supervision of industrial products under China's simplified licensing
//! procedure — the statutory working-day calendar, the licence deadline rules, and the store they
//! read from. The rules are plain functions over plain data; the store and the command line are thin
//! layers around them.

pub mod app;
pub mod calendar;
pub mod catalogue;
pub mod cli;
pub mod clock;
pub mod config;
pub mod credit_code;
pub mod dates;
pub mod deadlines;
pub mod demo;
pub mod divisions;
pub mod draw;
pub mod ingest;
pub mod jobs;
pub mod mail;
pub mod model;
pub mod output;
pub mod period;
pub mod progress;
pub mod report;
pub mod risk;
pub mod store;
pub mod synthetic;
