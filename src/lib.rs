//! pbuild: build Particle Gen 2 firmware from a Device OS checkout and flash it safely.
pub mod build;
pub mod cli;
pub mod cli_flash;
pub mod commands;
pub mod commands_flash;
pub mod compdb;
pub mod config;
pub mod db;
pub mod depfile;
pub mod device;
pub mod error;
pub mod flash;
pub mod fsutil;
pub mod graph;
pub mod image;
pub mod inspect;
pub mod layout;
pub mod new;
pub mod paths;
pub mod plan;
pub mod progress;
pub mod sim;
pub mod task;
pub mod tree;
pub mod watch;
pub mod work;

pub use error::{Error, Result};
