#!/usr/bin/env bash
# Minimises a target's working corpus and stores it as the committed one.
# usage: fuzz/keep-corpus.sh TARGET [FROM_DIR] [MAX_FILES]
#   FROM_DIR   the fuzz/ directory the runs grew (default: this one); its
#              corpus/TARGET is minimised in place with `cargo fuzz cmin`
#   MAX_FILES  keep at most this many of the minimised inputs (default 4000),
#              the smallest first; hand-made seeds (seed-*) are always kept
# tests/fuzz_replay.rs replays whatever ends up in corpus/TARGET on stable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target=$1
from="$(cd "${2:-$here}" && pwd)"
max=${3:-4000}
(cd "$from" && cargo +nightly fuzz cmin "$target" "corpus/$target" >/dev/null 2>&1)
keep="$here/corpus/$target"
mkdir -p "$keep"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$keep"/seed-* "$tmp"/ 2>/dev/null || true
find "$from/corpus/$target" -maxdepth 1 -type f ! -name 'seed-*' -printf '%s %p\n' |
    sort -n | awk -v max="$max" 'NR <= max' | cut -d' ' -f2- | while read -r file; do cp "$file" "$tmp"/; done
rm -rf "$keep"
mv "$tmp" "$keep"
trap - EXIT
echo "$target: $(find "$keep" -type f | wc -l) files, $(du -sb "$keep" | cut -f1) bytes"
