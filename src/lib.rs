//! pbuild: build Particle Gen 2 firmware from a Device OS checkout and flash it safely.
pub mod image;
