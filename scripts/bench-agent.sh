#!/usr/bin/env bash
# Wall time of `keyfob code` answered by a running agent, beside `oathtool --totp` and
# beside `keyfob code` unlocking a copy of the vault with --identity, on a 1000-account
# vault (all three as whole processes, one hyperfine run); then the agent's resident
# memory (VmRSS) and locked memory (VmLck) from /proc/PID/status.
# With PORTABLE=PATH (the static binary scripts/build-portable.sh makes) the same agent
# also answers that binary's `keyfob code`, timed in the same run.
# Needs: age, oathtool, hyperfine (Debian packages), python3; a release build
# (`cargo build --release --bin keyfob`, done here when missing; KEYFOB_BIN=PATH for another).
# usage: scripts/bench-agent.sh   (RUNS=200 by default; OUT=FILE for the markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
keyfob=${KEYFOB_BIN:-./target/release/keyfob}
[ -x "$keyfob" ] || cargo build --release --bin keyfob --quiet
portable=()
if [ -n "${PORTABLE:-}" ]; then
    [ -x "$PORTABLE" ] || { echo "PORTABLE=$PORTABLE is not an executable" >&2; exit 1; }
fi
work=$(mktemp -d)
export XDG_RUNTIME_DIR="$work/run"
mkdir -m 0700 "$XDG_RUNTIME_DIR"
unset KEYFOB_VAULT KEYFOB_IDENTITY KEYFOB_PASSPHRASE_FILE
cleanup() {
    "$keyfob" --vault "$work/vault.age" agent stop 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
bash scripts/bench-vault.sh "$work"
# The direct run opens a copy: no agent serves that path.
cp "$work/vault.age" "$work/direct.age"
secret=$(python3 -c 'import base64,os;print(base64.b32encode(os.urandom(20)).decode())')
"$keyfob" --vault "$work/vault.age" --identity "$work/id.txt" agent start
pid=$("$keyfob" --vault "$work/vault.age" agent status --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
# Through the agent: no key given, so only the agent can answer.
"$keyfob" --vault "$work/vault.age" code Service0500 >/dev/null
if [ -n "${PORTABLE:-}" ]; then
    "$PORTABLE" --vault "$work/vault.age" code Service0500 >/dev/null
    portable=(-n agent-portable "$PORTABLE --vault $work/vault.age code Service0500")
fi
hyperfine --warmup 5 --runs "${RUNS:-200}" -N --export-json "$work/times.json" \
    --export-markdown "${OUT:-/dev/stdout}" \
    -n agent "$keyfob --vault $work/vault.age code Service0500" \
    -n oathtool "oathtool --totp -b $secret" \
    -n identity "$keyfob --vault $work/direct.age --identity $work/id.txt code Service0500" \
    "${portable[@]}"
python3 - "$work/times.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
line = (f"agent / oathtool: {r['agent'] / r['oathtool']:.2f}x; "
        f"identity / oathtool: {r['identity'] / r['oathtool']:.2f}x; "
        f"identity / agent: {r['identity'] / r['agent']:.2f}x")
if "agent-portable" in r:
    line += f"; agent-portable / oathtool: {r['agent-portable'] / r['oathtool']:.2f}x"
print(line)
PY
grep -E '^(VmRSS|VmHWM|VmLck)' "/proc/$pid/status" | sed 's/^/agent /'
