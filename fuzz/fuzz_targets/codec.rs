//! cargo-fuzz entry for `fuzz/targets/codec.rs` (the code is there, so
//! that `tests/fuzz_corpus.rs` replays the corpus on stable).
#![no_main]

#[path = "../targets/codec.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| target::run(data));
