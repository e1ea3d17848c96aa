#!/bin/sh
# Runs the cargo-fuzz targets (fuzz/README.md) one after another, each for
# FUZZ_SECS seconds (default 60) on one core, then minimizes its corpus
# in place (fuzz/corpus/<target>/, committed: tests/fuzz_corpus.rs
# replays it in `cargo test`).
#
#   make fuzz                                  # every target, a minute each
#   FUZZ_SECS=900 FUZZ_TARGETS="ipc sockopt" make fuzz
#
# Needs the nightly toolchain and cargo-fuzz; installs them if missing.
# A new crash stops the run: its input is in fuzz/artifacts/<target>/, and
#   SCTPUDP_FUZZ_TARGET=<target> SCTPUDP_FUZZ_INPUT=<file> SCTPUDP_FUZZ_DEBUG=1 \
#     cargo test --test fuzz_corpus corpus_<target> -- --nocapture
# replays it on stable with the decoded input printed.
set -eu
cd "$(dirname "$0")/.."
secs=${FUZZ_SECS:-60}
targets=${FUZZ_TARGETS:-codec assoc sockopt ipc}
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
for t in $targets; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    before=$(ls "fuzz/corpus/$t" | wc -l)
    crashes=$(ls "fuzz/artifacts/$t" | wc -l)
    # Build errors show here, not swallowed by the filter below.
    cargo +nightly fuzz build "$t"
    echo "== $t: ${secs}s from $before inputs"
    # -max_len: the structured targets need room for several steps.
    cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -timeout=30 \
        -print_final_stats=1 2>&1 | grep -E '^(#[0-9]+ *DONE|stat::|==|Done|thread|SUMMARY)|panicked|ERROR' || true
    if [ "$(ls "fuzz/artifacts/$t" | wc -l)" != "$crashes" ]; then
        echo "== $t: new crash inputs in fuzz/artifacts/$t" >&2
        exit 1
    fi
    # Keep only inputs that add coverage.
    cargo +nightly fuzz cmin "$t" "fuzz/corpus/$t" >"fuzz/artifacts/cmin-$t.log" 2>&1 ||
        { echo "== $t: cmin failed (see fuzz/artifacts/cmin-$t.log)" >&2; exit 1; }
    echo "== $t: corpus $before -> $(ls "fuzz/corpus/$t" | wc -l) inputs"
done
