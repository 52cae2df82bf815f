#![no_main]
// The body lives in the library (pbuild::fuzzing) so the corpus replays as a test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| pbuild::fuzzing::config(data));
