#!/usr/bin/env bash
# Writes the golden files of the current keyfob file formats into tests/data/golden/:
# a vault protected by an identity, the same vault protected by a passphrase, an age
# backup and a paper sheet (PDF). Run once per format version and commit the result;
# tests/golden.rs then checks that every later keyfob still opens them with exactly
# these contents. Never regenerate files of an older version: add new ones beside them.
#
# usage: scripts/make-golden.sh [VERSION]   (default v1; refuses to overwrite)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-v1}
out=tests/data/golden/$version
if [ -e "$out/vault-identity.age" ]; then
    echo "error: $out already exists; golden files are written once" >&2
    exit 1
fi
mkdir -p "$out"

cargo build --locked --quiet --bin keyfob
keyfob="${CARGO_TARGET_DIR:-target}/debug/keyfob"

# A throwaway identity and passphrase, committed on purpose: these files guard the
# format, not secrets. The identity is keyfob::fuzz_entry::FUZZ_IDENTITY.
cat > "$out/identity.txt" <<'ID'
# golden-file identity (public): public key age1mjx7hgyf9uygqask3pd9kj2tnf932pasfswkwrtj5skrs0v7j9dsg5n8z3
AGE-SECRET-KEY-14EADHS4UXYPQDLWGZQLMDKSTUF2UNUCJ9FV93YXRZXNHS3THKXPSRHCWFC
ID
recipient=age1mjx7hgyf9uygqask3pd9kj2tnf932pasfswkwrtj5skrs0v7j9dsg5n8z3
echo "golden passphrase" > "$out/passphrase.txt"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
id=(--vault "$work/vault-identity.age" --identity "$out/identity.txt")
"$keyfob" "${id[@]}" init
"$keyfob" "${id[@]}" add --issuer GitHub --name alice@example.com --secret JBSWY3DPEHPK3PXP \
    --tag work --tag code --note "golden note: ünïcödé"
"$keyfob" "${id[@]}" add --issuer Bank --name bob --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ \
    --algorithm SHA256 --digits 8 --period 60
"$keyfob" "${id[@]}" add --issuer Counter --name carol --secret MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U \
    --algorithm SHA512 --hotp --counter 42
"$keyfob" "${id[@]}" add --issuer Steam --name dave --secret KRUGKIDROVUWG2ZAMJZG653OEBTG66BA --steam
"$keyfob" "${id[@]}" add --name "no issuer: eve" --secret ORSXG5A
"$keyfob" "${id[@]}" edit Bank --favorite true
"$keyfob" "${id[@]}" export --format age --recipient "$recipient" --out "$out/backup.age"
"$keyfob" "${id[@]}" export --format paper --out "$out/sheet.pdf"
"$keyfob" "${id[@]}" export --format uris --out "$work/uris.txt"
cp "$work/vault-identity.age" "$out/vault-identity.age"

pass=(--vault "$work/vault-passphrase.age" --passphrase-file "$out/passphrase.txt")
"$keyfob" "${pass[@]}" init
"$keyfob" "${pass[@]}" import "$work/uris.txt"
cp "$work/vault-passphrase.age" "$out/vault-passphrase.age"
chmod 0644 "$out"/*
ls -l "$out"
