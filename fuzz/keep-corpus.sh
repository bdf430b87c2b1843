#!/usr/bin/env bash
# Minimises a target's working corpus and stores it as the committed one.
# usage: fuzz/keep-corpus.sh TARGET [FROM_DIR] [MAX_FILES]
#   FROM_DIR   the fuzz/ directory the runs grew (default: this one); its working
#              corpus corpus/TARGET/ is minimised in place with `cargo fuzz cmin`
#   MAX_FILES  keep at most this many of the minimised inputs (default 4000),
#              the smallest first
# The result is packed into corpus/TARGET_seed_corpus.zip (fuzz/pack-corpus.sh), which
# tests/fuzz_replay.rs replays on stable. The hand-made seeds in seeds/TARGET/ stay
# files of their own and are not touched.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target=$1
from="$(cd "${2:-$here}" && pwd)"
max=${3:-4000}
(cd "$from" && cargo +nightly fuzz cmin "$target" "corpus/$target" >/dev/null 2>&1)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
find "$from/corpus/$target" -maxdepth 1 -type f -printf '%s %p\n' |
    sort -n | awk -v max="$max" 'NR <= max' | cut -d' ' -f2- | while read -r file; do cp "$file" "$tmp"/; done
bash "$here/pack-corpus.sh" "$target" "$tmp"
