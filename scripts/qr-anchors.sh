#!/usr/bin/env bash
# Scores keyfob's QR image decoder beside zbarimg and zxing-cpp on the shared corpus.
#
#   scripts/qr-anchors.sh [--rotations] [--reps N] [--out DIR]
#
# Builds keyfob in release mode and runs ../shared/qr-corpus/anchors.py with the
# anchors zbar_batch and zxingcpp and our command, all in one run. With --rotations,
# it also scores copies of the corpus turned by 90, 180 and 270 degrees (made with
# Pillow in a temporary directory, expected texts copied beside them).
#
# Needs: apt-get install -y zbar-tools; pip install zxing-cpp pillow
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${QR_CORPUS:-$root/../shared/qr-corpus}"
rotations=0
reps=3
out="$root/target/qr-anchors"
while [ $# -gt 0 ]; do
    case "$1" in
        --rotations) rotations=1 ;;
        --reps) reps="$2"; shift ;;
        --out) out="$2"; shift ;;
        *) echo "unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
target="${CARGO_TARGET_DIR:-$root/target}"
decoder="$target/release/keyfob debug qr-decode --jsonl"

sets() { # comma-separated corpus sets under $1
    find "$1" -mindepth 1 -maxdepth 1 -type d -name '*qrcode*' | sort | paste -sd, -
}

echo "== 0 degrees"
python3 "$corpus/anchors.py" --sets "$(sets "$corpus")" --decoders zbar_batch,zxingcpp,cmd \
    --cmd "$decoder" --reps "$reps" --out "$out/rot0"

if [ "$rotations" = 1 ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    for angle in 90 180 270; do
        python3 - "$corpus" "$tmp/rot$angle" "$angle" <<'PY'
import os, shutil, sys
from PIL import Image
src, dst, angle = sys.argv[1], sys.argv[2], int(sys.argv[3])
for d in sorted(os.listdir(src)):
    if "qrcode" not in d or not os.path.isdir(os.path.join(src, d)):
        continue
    os.makedirs(os.path.join(dst, d), exist_ok=True)
    for f in os.listdir(os.path.join(src, d)):
        s, t = os.path.join(src, d, f), os.path.join(dst, d, f)
        if f.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".bmp")):
            Image.open(s).rotate(-angle, expand=True).save(t)  # clockwise
        elif not f.endswith(".metadata.txt"):
            shutil.copyfile(s, t)
PY
        echo "== $angle degrees"
        python3 "$corpus/anchors.py" --sets "$(sets "$tmp/rot$angle")" --decoders zbar_batch,zxingcpp,cmd \
            --cmd "$decoder" --reps "$reps" --out "$out/rot$angle"
    done
fi
