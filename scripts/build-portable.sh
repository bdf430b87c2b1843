#!/usr/bin/env bash
# Builds keyfob as one static Linux executable: linked with musl libc and nothing loaded
# at start-up, still position-independent (static-pie, so the kernel places it at a random
# address as it does the ordinary build). The one file runs on any Linux of its
# architecture whatever C library it has (a USB stick, an old server, a rescue system),
# and starts in about half the time, since no shared library is found, loaded or bound
# (scripts/bench-agent.sh with PORTABLE= times both).
# Then checks the binary it made: static, position-independent, its relocated data
# read-only once running (debug harden-status), and, in a temp dir, a code equal to
# RFC 6238's, the same code through an agent, and no code without a key once the agent
# has stopped.
# Output: the path of the binary, on the last line.
# Needs rustup (the musl target is added when missing) and a C compiler for musl (SQLite
# is C): Debian's musl-tools, installed when missing.
# usage: scripts/build-portable.sh [extra cargo build options]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" != Linux ]; then
    echo "build-portable.sh makes a Linux binary; elsewhere use cargo build --release" >&2
    exit 1
fi
target="$(uname -m)-unknown-linux-musl"
if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
fi
if ! command -v musl-gcc >/dev/null; then
    echo "installing musl-tools (a C compiler for musl, for SQLite)" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq musl-tools >/dev/null
fi
cargo build --locked --release --bin keyfob --target "$target" "$@"
out="${CARGO_TARGET_DIR:-target}/$target/release/keyfob"

# A static binary names no program interpreter and needs no shared library.
if readelf -lW "$out" | grep -q 'INTERP' || readelf -dW "$out" | grep -q 'NEEDED'; then
    echo "error: $out is dynamically linked" >&2
    exit 1
fi
if ! readelf -hW "$out" | grep -q 'DYN'; then
    echo "error: $out is not position-independent (static-pie)" >&2
    exit 1
fi
# musl leaves a static program's relocated data writable; keyfob protects it itself.
if ! "$out" debug harden-status | grep -qx 'relro: read-only'; then
    echo "error: $out runs with its RELRO data writable" >&2
    exit 1
fi

# The check: RFC 6238's SHA-1 test secret at T = 59 s is 94287082 (8 digits).
work=$(mktemp -d)
export XDG_RUNTIME_DIR="$work/run"
mkdir -m 0700 "$XDG_RUNTIME_DIR"
unset KEYFOB_VAULT KEYFOB_IDENTITY KEYFOB_PASSPHRASE_FILE
kf=("$out" --vault "$work/vault.age")
cleanup() {
    "${kf[@]}" agent stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
(umask 077 && echo "portable build check" >"$work/pass")
key=(--passphrase-file "$work/pass")
"${kf[@]}" "${key[@]}" init >/dev/null
"${kf[@]}" "${key[@]}" add --issuer RFC --name 6238 --digits 8 \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ >/dev/null
want=94287082
got=$("${kf[@]}" "${key[@]}" code --at 59 RFC)
[ "$got" = "$want" ] || { echo "error: code $got, RFC 6238 says $want" >&2; exit 1; }
"${kf[@]}" "${key[@]}" agent start >/dev/null
got=$("${kf[@]}" code --at 59 RFC </dev/null)
[ "$got" = "$want" ] || { echo "error: code through the agent $got, want $want" >&2; exit 1; }
"${kf[@]}" agent stop >/dev/null 2>&1
if "${kf[@]}" code --at 59 RFC </dev/null >/dev/null 2>&1; then
    echo "error: a code without a key after the agent stopped" >&2
    exit 1
fi
echo "checked: static-pie, RELRO read-only; RFC 6238's code direct, through the agent, and none once it stopped" >&2
echo "$out"
