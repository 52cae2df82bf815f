//! pbuild: build Particle Gen 2 firmware from a Device OS checkout and flash it safely.
//!
//! Modules in layer order, lowest first: a module imports only its own layer and the ones above
//! it in this list (`tests/cli/layers.rs` checks it). The flow is
//! Config → Tree → Plan → Work (→ Image) → Preflight → Flash, with one front end (`cli`) on top;
//! ARCHITECTURE.md says where to make which kind of change.

// Foundations: pure helpers that know no pbuild concept.
pub mod fsutil;
pub mod image;
pub mod ino;
pub mod paths;

// The library's error type (typed data, no hint text) and the tools pbuild runs.
pub mod error;
pub mod tool;
pub mod tty;

// The engine: graph, db, scheduler, task, depfiles. Knows steps and files, nothing else.
pub mod work;

// Config → Tree → sources → Plan.
pub mod config;
pub mod inspect;
pub mod plan;
pub mod sources;
pub mod tree;

// The content cache, and the build that ties config, plan, engine and image together.
pub mod build;
pub mod hashmemo;
pub mod stepcache;

// The device as its bootloader sees it, the simulated one, the device on USB (libusb: modes,
// control requests, its serial port), and flashing (with the one flash decision).
pub mod device;
pub mod flash;
pub mod sim;
pub mod usb;

// Around the flow: machine checks, what `watch` watches, project scaffolding, fuzz bodies.
pub mod doctor;
pub mod fuzzing;
pub mod new;
pub mod watch;

// The front end: the only place that knows clap, stdout/stderr, colour, JSON lines, hints, exit codes.
pub mod cli;

pub use error::{Error, Result};
