#!/usr/bin/env bash
# Wall time of `keyfob import` of 10,000 otpauth URIs (one text file) into an empty vault
# unlocked by an age identity (so the unlock is small), beside the unlock alone (`keyfob
# list` of the same empty vault), in one hyperfine run; with COTP=path/to/cotp also cotp
# importing the same file (its database and password prepared by COTP_PREPARE, a command).
# Needs: hyperfine (Debian package), python3. BUILD=0 uses the keyfob binary in KEYFOB
# (default target/release/keyfob) without building it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${KEYFOB:-target/release/keyfob}
if [ "${BUILD:-1}" = 1 ]; then
    cargo build --release --quiet
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/uris.txt" "${COUNT:-10000}" <<'PY'
import base64, random, sys, urllib.parse
rng = random.Random(16)
with open(sys.argv[1], "w") as out:
    for i in range(int(sys.argv[2])):
        secret = base64.b32encode(bytes(rng.getrandbits(8) for _ in range(20))).decode().rstrip("=")
        label = urllib.parse.quote(f"Service{i:05d}:user{i}@example.com")
        out.write(f"otpauth://totp/{label}?secret={secret}&issuer=Service{i:05d}&algorithm=SHA1&digits=6&period=30\n")
PY
vault=(--vault "$work/vault.age" --identity "$work/id.txt")
"$bin" "${vault[@]}" init >/dev/null
cp "$work/vault.age" "$work/empty.age"
# One run to check the numbers before timing anything.
"$bin" "${vault[@]}" import "$work/uris.txt" | tail -1
cp "$work/empty.age" "$work/vault.age"
commands=(
    "$bin ${vault[*]} import $work/uris.txt"
    "$bin ${vault[*]} list"
)
if [ -n "${COTP:-}" ]; then
    commands+=("${COTP_IMPORT:-$COTP import --otp-uri --path $work/uris.txt}")
fi
hyperfine --warmup 1 --runs "${RUNS:-10}" -N --export-markdown "${OUT:-/dev/stdout}" \
    --prepare "sh -c 'cp $work/empty.age $work/vault.age; rm -f $work/vault.age.*; ${COTP_PREPARE:-true}'" \
    "${commands[@]}"
