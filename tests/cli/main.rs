//! Integration tests: the real `pbuild` binary, the real arm-none-eabi toolchain and real make,
//! on copies of the bundled example tree.

mod support;

mod bad_inputs;
mod build;
mod cache;
mod device_rules;
mod doctor;
mod errors;
mod flash;
mod fuzz_corpus;
mod json_schema;
mod layers;
mod pch;
mod project;
mod real_tree;
mod release_binaries;
mod reliability;
mod sketch;
mod ui;
mod usb;
mod watch;
mod workbench;
