//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, grown by
//! `make fuzz`) through the cargo-fuzz targets' own code
//! (`fuzz/targets/*.rs`) on the stable toolchain, so every input that
//! once found new coverage stays a regression test, and the targets keep
//! compiling. `SCTPUDP_FUZZ_INPUT=path` runs one file (a crash artifact,
//! say) through the target named by `SCTPUDP_FUZZ_TARGET`.
// The two host-stack targets include `util.rs` each (each its own harness).
#![allow(dead_code, clippy::duplicate_mod)]

#[path = "../fuzz/targets/assoc.rs"]
mod assoc;
#[path = "../fuzz/targets/codec.rs"]
mod codec;
#[path = "../fuzz/targets/ipc.rs"]
mod ipc;
#[path = "../fuzz/targets/sockopt.rs"]
mod sockopt;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    if let (Ok(t), Ok(p)) =
        (std::env::var("SCTPUDP_FUZZ_TARGET"), std::env::var("SCTPUDP_FUZZ_INPUT"))
    {
        if t == target {
            run(&std::fs::read(&p).expect("SCTPUDP_FUZZ_INPUT"));
        }
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(d) => d.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    for f in &files {
        let data = std::fs::read(f).expect("a corpus file");
        // The file's name says which input failed.
        eprintln!("{}", f.display());
        run(&data);
    }
    println!("{target}: {} inputs replayed", files.len());
}

#[test]
fn corpus_codec() {
    replay("codec", codec::run);
}

#[test]
fn corpus_assoc() {
    replay("assoc", assoc::run);
}

#[test]
fn corpus_sockopt() {
    replay("sockopt", sockopt::run);
}

#[test]
fn corpus_ipc() {
    replay("ipc", ipc::run);
}
