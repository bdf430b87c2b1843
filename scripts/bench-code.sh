#!/usr/bin/env bash
# Wall time of `keyfob code` on a 1000-account vault opened with --identity, beside
# `oathtool --totp` (both as whole processes, same run, hyperfine).
# Needs: age, oathtool, hyperfine (Debian packages), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
age-keygen -o "$work/id.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/id.txt")
python3 - "$work/plain.json" <<'PY'
import base64, json, os, sys
accounts = []
for i in range(1000):
    accounts.append({
        "id": os.urandom(16).hex(), "issuer": f"Service{i:04d}", "name": f"user{i}@example.com",
        "secret": base64.b32encode(os.urandom(20)).decode().rstrip("="),
        "kind": {"type": "totp", "period": 30}, "algorithm": "SHA1", "digits": 6,
        "created": 0, "modified": 0})
json.dump({"format": "keyfob-vault", "version": 1, "meta": {"created": 0}, "accounts": accounts},
          open(sys.argv[1], "w"), indent=2)
PY
age -r "$recipient" -o "$work/vault.age" "$work/plain.json"
rm "$work/plain.json"
secret=$(python3 -c 'import base64,os;print(base64.b32encode(os.urandom(20)).decode())')
./target/release/keyfob --vault "$work/vault.age" --identity "$work/id.txt" code Service0500 >/dev/null
hyperfine --warmup 5 --runs "${RUNS:-200}" -N --export-markdown "${OUT:-/dev/stdout}" \
    "./target/release/keyfob --vault $work/vault.age --identity $work/id.txt code Service0500" \
    "oathtool --totp -b $secret"
