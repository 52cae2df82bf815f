//! Integration tests: the real `pbuild` binary, the real arm-none-eabi toolchain and real make,
//! on copies of the bundled example tree.

mod support;

mod bad_inputs;
mod build;
mod cache;
mod doctor;
mod errors;
mod flash;
mod fuzz_corpus;
mod pch;
mod project;
mod reliability;
mod sketch;
mod ui;
mod watch;
