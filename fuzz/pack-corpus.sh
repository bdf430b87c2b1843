#!/usr/bin/env bash
# Packs a directory of fuzz inputs into fuzz/corpus/TARGET_seed_corpus.zip (OSS-Fuzz's
# name for a target's starting corpus), the form the corpus is committed in.
# usage: fuzz/pack-corpus.sh TARGET DIR
# The archive is deterministic: entries sorted by name, each with mode 0644 and the
# timestamp 1980-01-01 00:00 UTC and no extra fields, so packing the same files again
# gives the same bytes (and git sees no change).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target=$1
dir="$(cd "$2" && pwd)"
out="$here/corpus/${target}_seed_corpus.zip"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
find "$dir" -maxdepth 1 -type f -exec cp -t "$tmp" {} +
if [ -z "$(ls -A "$tmp")" ]; then
    echo "error: no inputs in '$dir'" >&2
    exit 1
fi
chmod 0644 "$tmp"/*
TZ=UTC touch -d '1980-01-01 00:00:00' "$tmp"/*
rm -f "$out.new"
(cd "$tmp" && find . -maxdepth 1 -type f -printf '%P\n' | LC_ALL=C sort |
    TZ=UTC zip -X -D -q -9 "$out.new" -@)
mv "$out.new" "$out"
echo "$target: $(unzip -Z1 "$out" | wc -l) inputs, $(stat -c %s "$out") bytes in ${out#"$here"/}"
