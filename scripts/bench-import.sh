#!/usr/bin/env bash
# Wall time of `keyfob import` of 10,000 otpauth URIs (one text file) into an empty vault
# unlocked by an age identity, beside the unlock alone (`keyfob list` of the same empty
# vault), in one hyperfine run. With COTP=path/to/cotp (e.g. after
# `cargo install --locked cotp --root /tmp/cotp`), cotp imports the same URIs (as its
# `{"items": [...]}` URI list) into an empty database in the same run, beside its unlock
# alone (`cotp list` of that empty database); the import time excluding the unlock is
# then printed for both, with the ratio.
# Needs: hyperfine (Debian package), python3. BUILD=0 uses the keyfob binary in KEYFOB
# (default target/release/keyfob) without building it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${KEYFOB:-target/release/keyfob}
if [ "${BUILD:-1}" = 1 ]; then
    cargo build --release --quiet --bin keyfob
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/uris.txt" "$work/uris.json" "${COUNT:-10000}" <<'PY'
import base64, json, random, sys, urllib.parse
rng = random.Random(16)
uris = []
for i in range(int(sys.argv[3])):
    secret = base64.b32encode(bytes(rng.getrandbits(8) for _ in range(20))).decode().rstrip("=")
    label = urllib.parse.quote(f"Service{i:05d}:user{i}@example.com")
    uris.append(f"otpauth://totp/{label}?secret={secret}&issuer=Service{i:05d}&algorithm=SHA1&digits=6&period=30")
open(sys.argv[1], "w").write("".join(u + "\n" for u in uris))
json.dump({"items": uris}, open(sys.argv[2], "w"))
PY
vault=(--vault "$work/vault.age" --identity "$work/id.txt")
"$bin" "${vault[@]}" init >/dev/null
cp "$work/vault.age" "$work/empty.age"
# One run to check the numbers before timing anything.
"$bin" "${vault[@]}" import "$work/uris.txt" | tail -1
cp "$work/empty.age" "$work/vault.age"
names=(-n keyfob-import -n keyfob-unlock)
commands=(
    "$bin ${vault[*]} import $work/uris.txt"
    "$bin ${vault[*]} list"
)
prepare="cp $work/empty.age $work/vault.age; rm -f $work/vault.age.*"
if [ -n "${COTP:-}" ]; then
    # cotp asks for a new database's password on a terminal only: make the empty
    # database once through a pseudo-terminal, then every run reads the password
    # from standard input.
    printf 'correct horse battery staple\n' >"$work/cotp-pass"
    python3 - "$COTP" "$work/cotp.db" <<'PY'
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-d", sys.argv[2], "list"])
for _ in range(2):
    time.sleep(1)
    os.write(fd, b"correct horse battery staple\n")
time.sleep(3)
os.kill(pid, 9)
os.waitpid(pid, 0)
PY
    [ -s "$work/cotp.db" ] || { echo "could not create the cotp database" >&2; exit 1; }
    cp "$work/cotp.db" "$work/cotp-empty.db"
    "$COTP" --password-stdin -d "$work/cotp.db" import --otp-uri --path "$work/uris.json" <"$work/cotp-pass" | tail -1
    cp "$work/cotp-empty.db" "$work/cotp.db"
    names+=(-n cotp-import -n cotp-unlock)
    commands+=(
        "sh -c '$COTP --password-stdin -d $work/cotp.db import --otp-uri --path $work/uris.json <$work/cotp-pass >/dev/null'"
        "sh -c '$COTP --password-stdin -d $work/cotp.db list <$work/cotp-pass >/dev/null'"
    )
    prepare="$prepare; cp $work/cotp-empty.db $work/cotp.db"
fi
hyperfine --warmup 1 --runs "${RUNS:-10}" -N --export-json "$work/times.json" \
    --export-markdown "${OUT:-/dev/stdout}" --prepare "sh -c '$prepare'" \
    "${names[@]}" "${commands[@]}"
python3 - "$work/times.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
k = r["keyfob-import"] - r["keyfob-unlock"]
print(f"keyfob import excluding the unlock: {k * 1000:.0f} ms")
if "cotp-import" in r:
    c = r["cotp-import"] - r["cotp-unlock"]
    print(f"cotp import excluding the unlock: {c * 1000:.0f} ms; keyfob / cotp: {k / c:.2f}x")
PY
