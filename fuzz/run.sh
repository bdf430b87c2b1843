#!/usr/bin/env bash
# Runs one fuzz target for a while, single job, then prints libFuzzer's final stats.
# usage: fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
# The committed corpus (corpus/TARGET_seed_corpus.zip) is first unpacked into the working
# corpus corpus/TARGET/ (ignored by git), where libFuzzer adds what it finds; the
# hand-made seeds (seeds/TARGET/) are read as a second corpus directory. Keep the grown
# corpus with fuzz/keep-corpus.sh TARGET afterwards.
# Crashes land in fuzz/artifacts/TARGET/; minimise one with
#   cargo +nightly fuzz tmin TARGET fuzz/artifacts/TARGET/crash-…
# and keep it in fuzz/regressions/TARGET/ (replayed by tests/fuzz_replay.rs).
set -euo pipefail
cd "$(dirname "$0")"
target=$1
seconds=$2
shift 2
mkdir -p "corpus/$target" "seeds/$target"
if [ -f "corpus/${target}_seed_corpus.zip" ]; then
    unzip -q -o "corpus/${target}_seed_corpus.zip" -d "corpus/$target"
fi
exec cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 "$@"
