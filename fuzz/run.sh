#!/usr/bin/env bash
# Runs one fuzz target for a while, single job, then prints libFuzzer's final stats.
# usage: fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
# Crashes land in fuzz/artifacts/TARGET/; minimise one with
#   cargo +nightly fuzz tmin TARGET fuzz/artifacts/TARGET/crash-…
# and keep it in fuzz/regressions/TARGET/ (replayed by tests/fuzz_replay.rs).
set -euo pipefail
cd "$(dirname "$0")"
target=$1
seconds=$2
shift 2
exec cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 "$@"
