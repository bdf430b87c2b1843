#!/usr/bin/env bash
# Writes a benchmark vault into DIR: an identity DIR/id.txt and DIR/vault.age holding
# 1000 TOTP accounts Service0000 … Service0999 with random secrets, encrypted with the
# stock age tool. Shared by bench-code.sh and bench-agent.sh.
# usage: scripts/bench-vault.sh DIR   (needs age, age-keygen, python3)
set -euo pipefail
dir=$1
age-keygen -o "$dir/id.txt" 2>/dev/null
recipient=$(age-keygen -y "$dir/id.txt")
python3 - "$dir/plain.json" <<'PY'
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
age -r "$recipient" -o "$dir/vault.age" "$dir/plain.json"
rm "$dir/plain.json"
