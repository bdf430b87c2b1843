#!/usr/bin/env bash
# Fails if any crate that does networking is in keyfob's dependency tree (normal and
# build dependencies; dev-dependencies are test tools and never ship). keyfob promises
# to be offline: no HTTP client, no async runtime, no socket or TLS library.
set -euo pipefail
cd "$(dirname "$0")/.."

banned='reqwest|hyper|hyper-util|h2|h3|ureq|curl|curl-sys|isahc|attohttpc|surf|tokio|async-std|smol|mio|socket2|rustls|native-tls|openssl|openssl-sys|quinn|tungstenite|websocket|trust-dns-resolver|hickory-resolver|http|reqwest-middleware|minreq|ehttp|libp2p'
tree=$(cargo tree --locked --edges normal,build --prefix none --format '{p}')
found=$(printf '%s\n' "$tree" | awk '{print $1}' | sort -u | grep -xE "$banned" || true)
# One reviewed exception: mio is how crossterm waits for terminal input (epoll), and
# signal-hook-mio turns its "net" feature on only for a local Unix socket pair that
# carries signals. It is allowed while those two are the only crates that use it.
if printf '%s\n' $found | grep -qx mio; then
    users=$(cargo tree --locked --edges normal,build --invert mio --depth 1 --prefix none --format '{p}' \
        | awk 'NR > 1 {print $1}' | sort -u)
    if [ -z "$(printf '%s\n' "$users" | grep -vxE 'crossterm|signal-hook-mio' || true)" ]; then
        found=$(printf '%s\n' $found | grep -vx mio || true)
    fi
fi
if [ -n "$found" ]; then
    echo "error: network crates in keyfob's dependency tree:" >&2
    printf '  %s\n' $found >&2
    for crate in $found; do
        cargo tree --locked --edges normal,build --invert "$crate" >&2 || true
    done
    exit 1
fi
echo "no network crates among $(printf '%s\n' "$tree" | awk '{print $1}' | sort -u | wc -l) dependencies"
