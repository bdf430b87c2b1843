#!/usr/bin/env bash
# Runs keyfob's whole test suite on a fresh machine: installs the Debian tools the
# tests compare against (age, oathtool, poppler-utils, zbar-tools, sqlite3) when they are
# missing, then runs every test binary, all of them even when one fails (--no-fail-fast),
# so one failure shows all. Tests that need the QR corpus outside the repository
# (KEYFOB_QR_CORPUS, else ../shared/qr-corpus) skip with a line saying so when it is
# absent, unless CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
command -v age >/dev/null || packages+=(age)
command -v oathtool >/dev/null || packages+=(oathtool)
command -v pdftoppm >/dev/null || packages+=(poppler-utils)
command -v zbarimg >/dev/null || packages+=(zbar-tools)
command -v script >/dev/null || packages+=(util-linux)
if [ ${#packages[@]} -gt 0 ]; then
    echo "installing test tools: ${packages[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi

cargo test --locked --all-targets --no-fail-fast "$@"
