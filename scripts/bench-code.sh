#!/usr/bin/env bash
# Wall time of `keyfob code` on a 1000-account vault opened with --identity, beside
# `oathtool --totp` (both as whole processes, same run, hyperfine).
# Needs: age, oathtool, hyperfine (Debian packages), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/bench-vault.sh "$work"
secret=$(python3 -c 'import base64,os;print(base64.b32encode(os.urandom(20)).decode())')
./target/release/keyfob --vault "$work/vault.age" --identity "$work/id.txt" code Service0500 >/dev/null
hyperfine --warmup 5 --runs "${RUNS:-200}" -N --export-markdown "${OUT:-/dev/stdout}" \
    "./target/release/keyfob --vault $work/vault.age --identity $work/id.txt code Service0500" \
    "oathtool --totp -b $secret"
