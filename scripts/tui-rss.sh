#!/usr/bin/env bash
# Measures the resident memory of the running terminal UI after unlocking a
# vault of COUNT accounts (default: 10000 and 100).
#
#   scripts/tui-rss.sh                 # builds the release binary, both sizes
#   KEYFOB_BIN=path COUNTS="100" scripts/tui-rss.sh
#   MODE=passphrase scripts/tui-rss.sh # a passphrase vault (scrypt during unlock)
#   MAX_MIB=20 (default)               # exit 1 if VmRSS after a search exceeds it
#
# The UI runs in a detached tmux session (80x24). Once the list is on screen
# and a few seconds have passed, VmRSS (now) and VmHWM (peak, which includes
# the scrypt working set of a passphrase unlock) are read from /proc.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v tmux >/dev/null || { echo "tmux is needed (apt-get install tmux)" >&2; exit 1; }
if [ -z "${KEYFOB_BIN:-}" ]; then
    cargo build --release --locked --bin keyfob >&2
    KEYFOB_BIN="${CARGO_TARGET_DIR:-target}/release/keyfob"
fi
bin=$(realpath "$KEYFOB_BIN")
mode=${MODE:-identity}
work=$(mktemp -d)
trap 'tmux kill-session -t keyfob-rss 2>/dev/null || true; rm -rf "$work"' EXIT
unset KEYFOB_VAULT KEYFOB_IDENTITY KEYFOB_PASSPHRASE_FILE

printf '%-8s %-10s %12s %12s\n' accounts mode "VmRSS(MiB)" "VmHWM(MiB)"
for count in ${COUNTS:-10000 100}; do
    vault="$work/v$count.age"
    if [ "$mode" = passphrase ]; then
        printf 'correct horse battery staple\n' > "$work/pass"
        key=(--passphrase-file "$work/pass")
    else
        key=(--identity "$work/id.txt")
    fi
    "$bin" --vault "$vault" "${key[@]}" init 2>/dev/null
    python3 - "$count" > "$work/uris.txt" <<'PY'
import base64, sys
services = ["GitHub", "GitLab", "Google", "Microsoft", "Amazon", "Dropbox", "Slack", "Discord"]
for i in range(int(sys.argv[1])):
    secret = base64.b32encode(i.to_bytes(4, "big") + bytes((i * 31 + j * 7 + 1) % 256 for j in range(16))).decode().rstrip("=")
    s = services[i % len(services)]
    print(f"otpauth://totp/{s}%20{i}:user{i}%40example.com?secret={secret}&issuer={s}%20{i}")
PY
    "$bin" --vault "$vault" "${key[@]}" import "$work/uris.txt" >/dev/null 2>&1
    tmux kill-session -t keyfob-rss 2>/dev/null || true
    tmux new-session -d -s keyfob-rss -x 80 -y 24 \
        "$bin --vault $vault ${key[*]}"
    pid=$(tmux list-panes -t keyfob-rss -F '#{pane_pid}')
    for _ in $(seq 1 600); do
        if tmux capture-pane -p -t keyfob-rss | grep -q "$count accounts"; then break; fi
        sleep 0.1
    done
    tmux capture-pane -p -t keyfob-rss | grep -q "$count accounts" || {
        echo "the UI did not show the list:" >&2; tmux capture-pane -p -t keyfob-rss >&2; exit 1; }
    # A search through the search line (/ then a query), then back to the full list.
    tmux send-keys -t keyfob-rss / g i t h u b
    sleep 1
    tmux send-keys -t keyfob-rss Escape
    sleep 2
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
    # Heap and stack (RssAnon) apart from mapped code (RssFile: large for a debug binary).
    grep -E '^Rss(Anon|File)' "/proc/$pid/status" >&2
    printf '%-8s %-10s %12.1f %12.1f\n' "$count" "$mode" "$(echo "$rss/1024" | bc -l)" "$(echo "$hwm/1024" | bc -l)"
    tmux send-keys -t keyfob-rss C-q
    sleep 0.5
    if [ "$rss" -gt $(( ${MAX_MIB:-20} * 1024 )) ]; then
        echo "VmRSS with $count accounts is over ${MAX_MIB:-20} MiB" >&2
        exit 1
    fi
    rm -f "$work/id.txt"
done
