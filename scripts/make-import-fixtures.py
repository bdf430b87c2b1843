#!/usr/bin/env python3
"""Writes the import fixtures under tests/fixtures/, one folder per source format.

The encrypted files are made here with Python's own crypto (the `cryptography`
package and hashlib), not with keyfob, so the importers are checked against an
independent implementation of each format. Salts, nonces and keys come from a
fixed seed, so rerunning gives the same bytes (except the SQLite WAL files,
whose headers carry SQLite's own random salts).

    pip install cryptography   # 44 or newer (Argon2id)
    python3 scripts/make-import-fixtures.py

The expected accounts are the constants below; tests/import_formats.rs and
tests/import_cli.rs spell out the same values.
"""

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import sys
import urllib.parse

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
PASSWORD = b"test-password"

# The accounts every format carries (where it can).
SECRET_A = b"Hello!\xde\xad\xbe\xef"  # JBSWY3DPEHPK3PXP
SECRET_B = b"12345678901234567890"  # GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
SECRET_C = bytes(range(1, 33))  # 32 bytes
SECRET_D = b"The quick brown fox "  # KRUGKIDROVUWG2ZAMJZG653OEBTG66BA
SECRET_E = b"keyfob-bitwarden-bare"
SECRET_MSA = bytes(range(100, 116))  # 16 bytes, stored as base64 by Microsoft


def b32(raw):
    return base64.b32encode(raw).decode().rstrip("=")


A = dict(issuer="GitHub", name="alice@example.com", secret=SECRET_A, algo="SHA1", digits=6, type="totp", period=30)
B = dict(issuer="Example Corp", name="bob", secret=SECRET_B, algo="SHA256", digits=8, type="totp", period=60)
C = dict(issuer="Bank", name="Zoë", secret=SECRET_C, algo="SHA512", digits=6, type="hotp", counter=42)
D = dict(issuer="Steam", name="dave", secret=SECRET_D, algo="SHA1", digits=5, type="steam", period=30)


def seeded(label, n):
    """Deterministic 'random' bytes for salts, nonces and keys."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"keyfob-fixtures/{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


def path(*parts):
    p = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(rel, data):
    if isinstance(data, str):
        data = data.encode()
    with open(path(*rel.split("/")), "wb") as f:
        f.write(data)


def dump(obj, indent=4):
    return json.dumps(obj, indent=indent, ensure_ascii=False) + "\n"


def gcm_seal(key, nonce, plain, aad=None):
    return AESGCM(key).encrypt(nonce, plain, aad)  # ciphertext || tag


def otpauth(acc, extra=None):
    kind = acc["type"]
    label = urllib.parse.quote(f"{acc['issuer']}:{acc['name']}", safe="")
    q = [("secret", b32(acc["secret"])), ("issuer", acc["issuer"])]
    if kind != "steam":
        q += [("algorithm", acc["algo"]), ("digits", str(acc["digits"]))]
    if kind == "totp":
        q.append(("period", str(acc["period"])))
    if kind == "hotp":
        q.append(("counter", str(acc["counter"])))
    q += extra or []
    return f"otpauth://{kind}/{label}?" + urllib.parse.urlencode(q, quote_via=urllib.parse.quote)


# ---------------------------------------------------------------- Aegis

def aegis_entry(acc, groups=(), uuid="00000000-0000-4000-8000-000000000000"):
    info = {"secret": b32(acc["secret"]), "algo": acc["algo"], "digits": acc["digits"]}
    if acc["type"] == "hotp":
        info["counter"] = acc["counter"]
    else:
        info["period"] = acc["period"]
    return {
        "type": acc["type"], "uuid": uuid, "name": acc["name"], "issuer": acc["issuer"],
        "note": "", "favorite": False, "icon": None, "info": info, "groups": list(groups),
    }


AEGIS_GROUP_WORK = "6a1e0b6e-0c36-4d47-b1b4-6b1a4c0f0001"
AEGIS_GROUP_HOME = "6a1e0b6e-0c36-4d47-b1b4-6b1a4c0f0002"


def aegis_content():
    a = aegis_entry(A, [AEGIS_GROUP_WORK], "11111111-1111-4111-8111-111111111111")
    a["note"] = "recovery codes in the safe"
    a["favorite"] = True
    return {
        "version": 3,
        "entries": [
            a,
            aegis_entry(B, [AEGIS_GROUP_WORK, AEGIS_GROUP_HOME, "ffffffff-0000-4000-8000-00000000dead"]),
            aegis_entry(C),
            aegis_entry(D),
            {"type": "motp", "uuid": "22222222-2222-4222-8222-222222222222", "name": "mobile", "issuer": "Legacy VPN",
             "note": "", "favorite": False, "icon": None,
             "info": {"secret": "0123456789abcdef", "algo": "MD5", "digits": 6, "period": 10, "pin": "1234"}, "groups": []},
            {"type": "yandex", "uuid": "33333333-3333-4333-8333-333333333333", "name": "ivan", "issuer": "Yandex",
             "note": "", "favorite": False, "icon": None,
             "info": {"secret": b32(bytes(16)), "algo": "SHA256", "digits": 8, "period": 30, "pin": "5678"}, "groups": []},
            {"type": "totp", "uuid": "44444444-4444-4444-8444-444444444444", "name": "broken", "issuer": "Typo Inc",
             "note": "", "favorite": False, "icon": None,
             "info": {"secret": "not base32!", "algo": "SHA1", "digits": 6, "period": 30}, "groups": []},
        ],
        "groups": [{"uuid": AEGIS_GROUP_WORK, "name": "Work"}, {"uuid": AEGIS_GROUP_HOME, "name": "Home"}],
        "icons_optimized": True,
    }


def aegis_slot(password, label, n=32768, r=8, p=1, master=None):
    salt = seeded(f"aegis-salt-{label}", 32)
    key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password) if n <= 2**20 else bytes(32)
    nonce = seeded(f"aegis-slot-nonce-{label}", 12)
    sealed = gcm_seal(key, nonce, master)
    return {
        "type": 1, "uuid": f"55555555-5555-4555-8555-5555555555{label[-2:].encode().hex()[:2]}",
        "key": sealed[:-16].hex(), "key_params": {"nonce": nonce.hex(), "tag": sealed[-16:].hex()},
        "n": n, "r": r, "p": p, "salt": salt.hex(), "repaired": True, "is_backup": False,
    }


def aegis_encrypted(content, slots_spec, tamper=False):
    master = seeded("aegis-master", 32)
    nonce = seeded("aegis-db-nonce", 12)
    sealed = gcm_seal(master, nonce, dump(content).encode())
    ct, tag = sealed[:-16], sealed[-16:]
    if tamper:
        ct = bytes([ct[0] ^ 1]) + ct[1:]
    slots = []
    for spec in slots_spec:
        if spec == "biometric":
            bio_nonce = seeded("aegis-bio-nonce", 12)
            bio = gcm_seal(seeded("aegis-bio-key", 32), bio_nonce, master)
            slots.append({"type": 2, "uuid": "66666666-6666-4666-8666-666666666666", "key": bio[:-16].hex(),
                          "key_params": {"nonce": bio_nonce.hex(), "tag": bio[-16:].hex()}})
        else:
            slots.append(aegis_slot(master=master, **spec))
    return {
        "version": 1,
        "header": {"slots": slots, "params": {"nonce": nonce.hex(), "tag": tag.hex()}},
        "db": base64.b64encode(ct).decode(),
    }


def make_aegis():
    plain = {"version": 1, "header": {"slots": None, "params": None}, "db": aegis_content()}
    write("aegis/plain.json", dump(plain))
    # Content version 2: groups as a per-entry name, no group list.
    v2 = {"version": 2, "entries": []}
    for acc, group in ((A, "Work"), (B, "")):
        e = aegis_entry(acc)
        del e["groups"]
        if group:
            e["group"] = group
        v2["entries"].append(e)
    write("aegis/plain-v2-grouped.json", dump({"version": 1, "header": {"slots": None, "params": None}, "db": v2}))
    # Encrypted: a biometric slot (unusable off the phone), a slot for another
    # password, then the slot for PASSWORD.
    enc = aegis_encrypted(aegis_content(), [
        "biometric",
        dict(password=b"another password", label="s1"),
        dict(password=PASSWORD, label="s2"),
    ])
    write("aegis/encrypted.json", dump(enc))
    # Broken ones.
    text = dump(plain)
    write("aegis/broken-truncated.json", text[: len(text) // 2])
    write("aegis/broken-version-2.json", dump({**plain, "version": 2}))
    write("aegis/broken-content-version-4.json", dump({**plain, "db": {**aegis_content(), "version": 4}}))
    write("aegis/broken-encrypted-tampered.json",
          dump(aegis_encrypted(aegis_content(), [dict(password=PASSWORD, label="s2")], tamper=True)))
    huge = aegis_encrypted(aegis_content(), [dict(password=PASSWORD, label="s2")])
    huge["header"]["slots"][0]["n"] = 2**30
    write("aegis/broken-encrypted-absurd-scrypt.json", dump(huge))
    bio = aegis_encrypted(aegis_content(), ["biometric"])
    write("aegis/broken-biometric-only.json", dump(bio))


# ---------------------------------------------------------------- 2FAS

def two_fas_service(acc, group=None, schema=4):
    otp = {"account": acc["name"], "issuer": acc["issuer"], "label": f"{acc['issuer']}:{acc['name']}",
           "source": "Link"}
    if schema >= 2:
        otp.update({"digits": acc["digits"], "algorithm": acc["algo"], "period": acc.get("period", 30)})
    if schema >= 3:
        otp["tokenType"] = acc["type"].upper()
        if acc["type"] == "hotp":
            otp["counter"] = acc["counter"]
    s = {"name": acc["issuer"], "secret": b32(acc["secret"]), "updatedAt": 1700000000000,
         "otp": otp, "order": {"position": 0}, "icon": {"selected": "Label", "label": {"text": "GH", "backgroundColor": "Orange"}}}
    if group:
        s["groupId"] = group
    return s


def make_two_fas():
    groups = [{"id": "b5d1b0e6-1111-4a2c-9c88-000000000001", "name": "Work", "isExpanded": True, "updatedAt": 0}]
    services = [
        two_fas_service(A, groups[0]["id"]),
        two_fas_service(B),
        two_fas_service(C),
        two_fas_service(D),
        {"name": "Mystery", "secret": b32(b"0123456789"), "otp": {"account": "eve", "tokenType": "MOTP"},
         "order": {"position": 4}},
    ]
    base = {"appVersionCode": 5000012, "appVersionName": "5.4.1", "appOrigin": "android", "schemaVersion": 4,
            "updatedAt": 1700000000000, "groups": groups}
    write("2fas/plain-v4.2fas", dump({**base, "services": services}))
    # Schema 1 (oldest): no digits, period, algorithm or token type.
    v1 = {"schemaVersion": 1, "appVersionCode": 3010000, "services": [two_fas_service(A, schema=1)]}
    write("2fas/plain-v1.json", dump(v1))
    # Encrypted: services in servicesEncrypted = b64(ct||tag):b64(salt):b64(iv).
    salt = seeded("2fas-salt", 32)
    iv = seeded("2fas-iv", 12)
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=10_000).derive(PASSWORD)
    ct = gcm_seal(key, iv, json.dumps(services, ensure_ascii=False).encode())
    ref_iv = seeded("2fas-ref-iv", 12)
    ref = gcm_seal(key, ref_iv, b"tRViSsLKzd86Hprh4ceC2OP7xazn4rrt4xhfEUbOjxLX8Rc3mkISXE0lWbmnWfggogbBJhtYgpK6fMl1D6mtsy92R3HkdGfwuXbzLebqVFJsR7IZ2w58t938iymwG4824igYy1wi6n2WDpO1Q1P69zwJGs2F5a1qP4MyIiDSD7NCV2OvidXQCBnDlGfmz0f1BQySRkkt4ryiJeCjD2o4QsveJ9uDBUn8ELyOrESv5R5DMDkD4iAF8TXU7KyoJujd")
    enc = {**base, "services": [],
           "servicesEncrypted": ":".join(base64.b64encode(x).decode() for x in (ct, salt, iv)),
           "reference": ":".join(base64.b64encode(x).decode() for x in (ref, salt, ref_iv))}
    write("2fas/encrypted-v4.2fas", dump(enc))
    text = dump({**base, "services": services})
    write("2fas/broken-truncated.2fas", text[: len(text) // 3])
    write("2fas/broken-schema-5.2fas", dump({**base, "schemaVersion": 5, "services": services}))
    write("2fas/broken-encrypted-two-parts.2fas",
          dump({**enc, "servicesEncrypted": enc["servicesEncrypted"].rsplit(":", 1)[0]}))


# ---------------------------------------------------------------- andOTP

def and_otp_entry(acc, tags=()):
    e = {"secret": base64.b32encode(acc["secret"]).decode(), "issuer": acc["issuer"], "label": acc["name"],
         "digits": acc["digits"], "type": acc["type"].upper(), "algorithm": acc["algo"], "thumbnail": "Default",
         "last_used": 1700000000000, "used_frequency": 3, "tags": list(tags)}
    if acc["type"] == "hotp":
        e["counter"] = acc["counter"]
    else:
        e["period"] = acc["period"]
    return e


def and_otp_entries():
    return [
        and_otp_entry(A, ["Work", "Code"]),
        and_otp_entry(B),
        and_otp_entry(C),
        and_otp_entry(D),
        # Old andOTP files without an issuer keep it in the label as "Issuer - name".
        {"secret": b32(SECRET_E), "label": "Mastodon - frank", "digits": 6, "type": "TOTP", "algorithm": "SHA1",
         "period": 30, "tags": []},
        {"secret": "0123456789abcdef", "issuer": "Legacy VPN", "label": "mobile", "digits": 6, "type": "MOTP",
         "algorithm": "MD5", "period": 10, "tags": []},
    ]


def make_and_otp():
    plain = json.dumps(and_otp_entries(), ensure_ascii=False).encode()
    write("andotp/otp_accounts.json", plain)
    # Current scheme: iterations (u32 BE) | salt 12 | nonce 12 | ct | tag 16, PBKDF2-HMAC-SHA1.
    iterations = 20_000  # andOTP picks 140 000-160 000; fewer keep the tests fast
    salt = seeded("andotp-salt", 12)
    nonce = seeded("andotp-nonce", 12)
    key = PBKDF2HMAC(algorithm=hashes.SHA1(), length=32, salt=salt, iterations=iterations).derive(PASSWORD)
    current = struct.pack(">I", iterations) + salt + nonce + gcm_seal(key, nonce, plain)
    write("andotp/otp_accounts.json.aes", current)
    # Old scheme: nonce 12 | ct | tag 16 with SHA-256(password). The nonce is chosen
    # so that its first four bytes are not a plausible iteration count.
    old_nonce = b"\xff\xee\xdd\xcc" + seeded("andotp-old-nonce", 8)
    old = old_nonce + gcm_seal(hashlib.sha256(PASSWORD).digest(), old_nonce, plain)
    write("andotp/old-scheme.json.aes", old)
    write("andotp/broken-truncated.json.aes", current[:24])
    write("andotp/broken-truncated.json", plain[: len(plain) // 2])
    write("andotp/broken-pgp-otp_accounts.json.gpg", "-----BEGIN PGP MESSAGE-----\n\nhQEMA0000000000000AQf/\n-----END PGP MESSAGE-----\n")


# ---------------------------------------------------------------- Bitwarden

BW_BARE = dict(issuer="Forum", name="erin", secret=SECRET_E)


def bitwarden_items():
    login = lambda name, user, totp: {  # noqa: E731
        "id": hashlib.md5(name.encode()).hexdigest(), "organizationId": None, "folderId": None, "type": 1,
        "reprompt": 0, "name": name, "notes": None, "favorite": False,
        "login": {"uris": [{"match": None, "uri": "https://example.com"}], "username": user, "password": "hunter2",
                  "totp": totp},
        "collectionIds": None,
    }
    return [
        login("GitHub", "alice@example.com", otpauth(A)),
        login("Example Corp", "bob", otpauth(B)),
        login("Forum", "erin", b32(SECRET_E).lower()),
        login("Steam", "dave", "steam://" + b32(SECRET_D)),
        login("No second factor", "nobody", None),
        login("Broken", "mallory", "otpauth://totp/Broken:mallory?secret=%21%21%21"),
        {"id": "c0ffee", "type": 3, "name": "Visa", "card": {"cardholderName": "A", "number": "4111111111111111"}},
        {"id": "n0te", "type": 2, "name": "Wi-Fi", "notes": "password", "secureNote": {"type": 0}},
        {"id": "1d", "type": 4, "name": "Me", "identity": {"firstName": "Alice"}},
    ]


def make_bitwarden():
    write("bitwarden/export.json", dump({"encrypted": False, "folders": [], "items": bitwarden_items()}, 2))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["folder", "favorite", "type", "name", "notes", "fields", "reprompt", "login_uri", "login_username",
                "login_password", "login_totp"])
    for item in bitwarden_items():
        login = item.get("login")
        kind = {1: "login", 2: "note", 3: "card", 4: "identity"}[item["type"]]
        w.writerow(["", "", kind, item["name"], item.get("notes") or "", "", "0",
                    "https://example.com" if login else "", (login or {}).get("username") or "",
                    (login or {}).get("password") or "", (login or {}).get("totp") or ""])
    write("bitwarden/export.csv", out.getvalue())
    write("bitwarden/broken-encrypted.json", dump({
        "encrypted": True, "passwordProtected": True, "salt": "c2FsdA==", "kdfType": 0, "kdfIterations": 600000,
        "encKeyValidation_DO_NOT_EDIT": "2.AAAA|BBBB|CCCC", "data": "2.DDDD|EEEE|FFFF"}, 2))
    write("bitwarden/broken-truncated.json", dump({"encrypted": False, "items": bitwarden_items()}, 2)[:500])
    write("bitwarden/broken-no-totp-column.csv", "folder,name,login_username\n,GitHub,alice\n")


# ---------------------------------------------------------------- Google Authenticator

def varint(n):
    n &= (1 << 64) - 1  # negative int32/int64 are sign-extended to 10 bytes
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_field(tag, wire, value):
    key = varint(tag << 3 | wire)
    if wire == 0:
        return key + varint(value)
    return key + varint(len(value)) + value


GA_ALGO = {"SHA1": 1, "SHA256": 2, "SHA512": 3, "MD5": 4}


def ga_params(secret, name, issuer, algo, digits, otp_type, counter=0):
    return (pb_field(1, 2, secret) + pb_field(2, 2, name.encode()) + pb_field(3, 2, issuer.encode())
            + pb_field(4, 0, algo) + pb_field(5, 0, digits) + pb_field(6, 0, otp_type)
            + (pb_field(7, 0, counter) if counter else b""))


def ga_payload(params, batch_size, batch_index, batch_id):
    body = b"".join(pb_field(1, 2, p) for p in params)
    return body + pb_field(2, 0, 1) + pb_field(3, 0, batch_size) + pb_field(4, 0, batch_index) + pb_field(5, 0, batch_id)


def ga_uri(payload, quote=True):
    data = base64.b64encode(payload).decode()
    return "otpauth-migration://offline?data=" + (urllib.parse.quote(data, safe="") if quote else data)


def make_google():
    batch_id = -1_234_567_890
    first = ga_payload([
        ga_params(SECRET_A, "alice@example.com", "GitHub", 1, 1, 2),
        # Old Google exports: issuer empty, "Issuer:name" in the name.
        ga_params(SECRET_B, "Example Corp:bob", "", 2, 2, 2),
    ], 2, 0, batch_id)
    second = ga_payload([
        ga_params(SECRET_C, "Zoë", "Bank", 3, 0, 1, counter=42),
        ga_params(SECRET_E, "legacy", "Old Hash", 4, 1, 2),
    ], 2, 1, batch_id)
    write("google/export.txt", ga_uri(first) + "\n" + ga_uri(second) + "\n")
    write("google/missing-second-code.txt", ga_uri(first) + "\n")
    # A '+' left raw in the base64 turns into a space when the URI is decoded.
    plus = None
    for i in range(200):
        p = ga_payload([ga_params(SECRET_A + bytes([i]), "plus", "Plus Corp", 1, 1, 2)], 1, 0, 7)
        if "+" in base64.b64encode(p).decode():
            plus = p
            break
    write("google/plus-as-space.txt", ga_uri(plus, quote=False).replace("+", " ") + "\n")
    write("google/broken-bad-base64.txt", "otpauth-migration://offline?data=%%%not*base64%%%\n")
    write("google/broken-truncated-protobuf.txt", ga_uri(first[: len(first) - 30]) + "\n")


# ---------------------------------------------------------------- Microsoft Authenticator

MS_SCHEMA = """
CREATE TABLE android_metadata (locale TEXT);
CREATE TABLE room_master_table (id INTEGER PRIMARY KEY, identity_hash TEXT);
CREATE TABLE accounts (
    _id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_key TEXT, name TEXT, username TEXT, paws_url TEXT, oath_secret_key TEXT,
    oath_enabled INTEGER NOT NULL DEFAULT 0, cid TEXT, cached_pin TEXT, ngc_ski TEXT,
    aad_user_id TEXT, aad_tenant_id TEXT, account_type INTEGER NOT NULL DEFAULT 0,
    account_capability INTEGER NOT NULL DEFAULT 0, ux_position INTEGER NOT NULL DEFAULT 0,
    is_totp_code_shown INTEGER NOT NULL DEFAULT 0, encrypted_oath_secret_key TEXT,
    mfa_pin_encryption_key_alias TEXT, identity_provider TEXT, aad_ngc_totp_enabled INTEGER NOT NULL DEFAULT 0,
    aad_authority TEXT, restore_capability INTEGER NOT NULL DEFAULT 0, update_flags INTEGER NOT NULL DEFAULT 0,
    has_password INTEGER NOT NULL DEFAULT 0, aad_security_defaults_policy_enabled INTEGER NOT NULL DEFAULT 0,
    is_third_party_account_logo_domain_based INTEGER NOT NULL DEFAULT 0, msa_token_version_flag INTEGER NOT NULL DEFAULT 0,
    phone_app_detail_id TEXT, replication_scope TEXT, activated_device_token TEXT, routing_hint TEXT,
    tenant_country_code TEXT, data_boundary TEXT, puid TEXT,
    is_passkey_deleted_for_wrong_approval_pin INTEGER NOT NULL DEFAULT 0
);
INSERT INTO android_metadata VALUES ('en_US');
INSERT INTO room_master_table VALUES (42, '3a5b0c9d8e7f6a5b4c3d2e1f0a9b8c7d');
"""

MS_COLUMNS = ("group_key", "name", "username", "paws_url", "oath_secret_key", "oath_enabled", "cid",
              "account_type", "ux_position", "aad_user_id", "aad_tenant_id", "aad_authority",
              "encrypted_oath_secret_key", "mfa_pin_encryption_key_alias")


def ms_rows():
    # Third-party secrets are stored as base32 the way people type them: lower case, in groups.
    spaced = " ".join(b32(SECRET_A).lower()[i:i + 4] for i in range(0, 16, 4))
    return [
        ("", "GitHub", "alice@example.com", "", spaced, 1, "", 0, 1, "", "", "", None, None),
        ("", "Microsoft", "carol@outlook.com", "", base64.b64encode(SECRET_MSA).decode(), 1, "0123456789abcdef",
         1, 0, "", "", "", None, None),
        ("", "Contoso", "dan@contoso.com", "https://mysignins.microsoft.com/paws", "", 0, "",
         2, 2, "0f1e2d3c-aaaa-bbbb-cccc-000000000001", "72f988bf-86f1-41af-91ab-2d7cd011db47",
         "https://login.microsoftonline.com/common", None, None),
        # A newer app version that keeps the secret only keystore-wrapped.
        ("", "Dropbox", "erin@example.com", "", "", 1, "", 0, 3, "", "", "",
         base64.b64encode(seeded("ms-wrapped", 48)).decode(), "mfa_pin_key_alias_1"),
    ]


def ms_insert(conn, rows):
    marks = ",".join("?" * len(MS_COLUMNS))
    conn.executemany(f"INSERT INTO accounts ({','.join(MS_COLUMNS)}) VALUES ({marks})", rows)


def make_microsoft():
    folder = os.path.join(ROOT, "microsoft")
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(os.path.join(folder, "wal"))
    # 1. Checkpointed database (journal mode DELETE): everything in PhoneFactor.
    db = os.path.join(folder, "PhoneFactor")
    conn = sqlite3.connect(db)
    conn.executescript(MS_SCHEMA)
    ms_insert(conn, ms_rows())
    conn.commit()
    conn.close()
    # 2. WAL database: one row checkpointed into the main file, two rows committed
    #    but still only in PhoneFactor-wal (copied while the writer is open, as a
    #    copy off a running phone would be).
    tmp = os.path.join(folder, "wal-work")
    os.makedirs(tmp)
    work = os.path.join(tmp, "PhoneFactor")
    conn = sqlite3.connect(work, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.executescript(MS_SCHEMA)
    ms_insert(conn, ms_rows()[:1])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("BEGIN")
    ms_insert(conn, ms_rows()[1:])
    conn.execute("COMMIT")
    shutil.copyfile(work, os.path.join(folder, "wal", "PhoneFactor"))
    shutil.copyfile(work + "-wal", os.path.join(folder, "wal", "PhoneFactor-wal"))
    conn.close()
    shutil.rmtree(tmp)
    # 3. Broken: another app's SQLite database, and a truncated PhoneFactor.
    other = os.path.join(folder, "broken-other-app.db")
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('hello')")
    conn.commit()
    conn.close()
    with open(db, "rb") as f:
        head = f.read(2048)
    write("microsoft/broken-truncated.db", head)


# ---------------------------------------------------------------- FreeOTP+

def signed(raw):
    return [b - 256 if b > 127 else b for b in raw]


def make_free_otp_plus():
    def token(acc, issuer=None):
        t = {"algo": acc["algo"], "counter": acc.get("counter", 0), "digits": acc["digits"],
             "issuerExt": issuer or acc["issuer"], "issuerInt": issuer or acc["issuer"], "label": acc["name"],
             "period": acc.get("period", 30), "secret": signed(acc["secret"]), "type": acc["type"].upper()}
        return t
    d = token(D)
    d["type"] = "TOTP"
    d["digits"] = 5
    tokens = [token(A), token(B), token(C), d,
              {"algo": "MD5", "counter": 0, "digits": 6, "issuerExt": "Old", "label": "md5", "period": 30,
               "secret": signed(SECRET_E), "type": "TOTP"}]
    doc = {"tokenOrder": [f"{t['issuerExt']}:{t['label']}" for t in tokens], "tokens": tokens}
    write("freeotp-plus/freeotp-backup.json", dump(doc))
    write("freeotp-plus/broken-truncated.json", dump(doc)[:300])
    bad = json.loads(json.dumps(doc))
    bad["tokens"][0]["secret"] = [1, 2, 999]
    write("freeotp-plus/broken-secret-bytes.json", dump(bad))


# ---------------------------------------------------------------- Ente, otpauth lists, Proton

def make_text_formats():
    display = lambda tags: json.dumps({"pinned": False, "trashed": False, "lastUsedAt": 0, "tapCount": 2,  # noqa: E731
                                       "tags": tags, "note": "", "position": 0}, separators=(",", ":"))
    c_lower = otpauth(C).replace("algorithm=SHA512", "algorithm=sha512")
    ente = [
        otpauth(A, [("codeDisplay", display(["Work", "Dev"]))]),
        otpauth(B, [("codeDisplay", display([]))]),
        c_lower + "&codeDisplay=" + urllib.parse.quote(display([]), safe=""),
        otpauth(D, [("codeDisplay", display(["Games"]))]),
    ]
    write("ente/ente-codes.txt", "\n".join(ente) + "\n")
    # Ente's encrypted export (libsodium secretstream): recognised, not read.
    write("ente/broken-encrypted.json", dump({
        "version": 1, "kdfParams": {"memLimit": 67108864, "opsLimit": 2,
                                    "salt": base64.b64encode(seeded("ente-salt", 16)).decode()},
        "encryptedData": base64.b64encode(seeded("ente-data", 120)).decode(),
        "encryptionNonce": base64.b64encode(seeded("ente-nonce", 24)).decode()}))
    winauth = [
        "# exported by WinAuth",
        otpauth(A),
        "",
        otpauth(B),
        otpauth(C),
        otpauth(D),
        "motp://Legacy%20VPN:mobile?secret=0123456789abcdef",
        "otpauth://yaotp/Yandex:ivan?secret=" + b32(bytes(16)) + "&pin=" + b32(b"5678"),
        "otpauth://totp/Typo:broken?secret=!!!&issuer=Typo",
        "this line is not a URI",
    ]
    write("otpauth/winauth.txt", "\r\n".join(winauth) + "\r\n")
    write("otpauth/broken-no-uris.txt", "just some notes\nnothing to import here\n")
    write("otpauth/broken-binary.bin", seeded("garbage", 512))
    write("otpauth/broken-empty.txt", "")

    # Proton writes the account's label as the display name (the issuer when
    # there is no label), and Steam entries as steam://SECRET plus that name.
    def proton(acc, kind="Totp", uri=None, name=None, note=None):
        return {"id": hashlib.md5(acc["name"].encode()).hexdigest(),
                "content": {"uri": uri or otpauth(acc), "entry_type": kind, "name": name or acc["name"]},
                "note": note}
    proton_doc = {"version": 1, "entries": [
        proton(A, note="main account"),
        proton(B),
        proton(C),
        proton(D, kind="Steam", uri="steam://" + b32(SECRET_D), name="dave"),
        proton(dict(name="frank"), uri="otpauth://totp/frank?secret=" + b32(SECRET_E), name="frank"),
        proton(dict(name="x"), kind="Unknown", uri="otpauth://weird/X?secret=" + b32(SECRET_E), name="Weird"),
    ]}
    plain = json.dumps(proton_doc, ensure_ascii=False)
    write("proton/proton-authenticator.json", plain)
    write("proton/broken-version-2.json", dump({**proton_doc, "version": 2}, 2))
    # Password-protected: {"version":1,"salt":b64(16),"content":b64(nonce|ct|tag)},
    # Argon2id v19 m=19 MiB t=2 p=1, AES-256-GCM with fixed associated data.
    salt = seeded("proton-salt", 16)
    nonce = seeded("proton-nonce", 12)
    key = Argon2id(salt=salt, length=32, iterations=2, lanes=1, memory_cost=19 * 1024).derive(PASSWORD)
    sealed = nonce + gcm_seal(key, nonce, plain.encode(), b"proton.authenticator.export.v1")
    envelope = {"version": 1, "salt": base64.b64encode(salt).decode(), "content": base64.b64encode(sealed).decode()}
    write("proton/proton-authenticator-encrypted.json", json.dumps(envelope))
    write("proton/broken-encrypted-truncated.json",
          json.dumps({**envelope, "content": base64.b64encode(sealed[:20]).decode()}))


# ---------------------------------------------------------------- Authenticator Pro

def make_authenticator_pro():
    def auth(acc, type_code, algo):
        return {"Type": type_code, "Icon": "github", "Issuer": acc["issuer"], "Username": acc["name"],
                "Secret": b32(acc["secret"]), "Pin": None, "Algorithm": algo, "Digits": acc["digits"],
                "Period": acc.get("period", 30), "Counter": acc.get("counter", 0), "Ranking": 0, "CopyCount": 0}
    cat = "c47e1f2a"
    doc = {
        "Authenticators": [
            auth(A, 2, 0), auth(B, 2, 1), auth(C, 1, 2), auth(D, 4, 0),
            {"Type": 3, "Issuer": "Legacy VPN", "Username": "mobile", "Secret": "0123456789abcdef", "Pin": "1234",
             "Algorithm": 0, "Digits": 6, "Period": 10, "Counter": 0},
            {"Type": 5, "Issuer": "Yandex", "Username": "ivan", "Secret": b32(bytes(16)), "Pin": "5678",
             "Algorithm": 1, "Digits": 8, "Period": 30, "Counter": 0},
        ],
        "Categories": [{"Id": cat, "Name": "Work", "Ranking": 0}],
        "AuthenticatorCategories": [{"CategoryId": cat, "AuthenticatorSecret": b32(SECRET_A), "Ranking": 0}],
        "CustomIcons": [],
    }
    plain = json.dumps(doc, ensure_ascii=False).encode()
    write("authenticator-pro/backup.json", plain)
    # Current encrypted: "AUTHENTICATORPRO" | salt 16 | IV 12 | AES-256-GCM, Argon2id(t=3, m=64 MiB, p=4).
    salt = seeded("authpro-salt", 16)
    iv = seeded("authpro-iv", 12)
    key = Argon2id(salt=salt, length=32, iterations=3, lanes=4, memory_cost=65536).derive(PASSWORD)
    write("authenticator-pro/backup.authpro", b"AUTHENTICATORPRO" + salt + iv + gcm_seal(key, iv, plain))
    # Legacy: "AuthenticatorPro" | salt 20 | IV 16 | AES-256-CBC/PKCS7, PBKDF2-SHA1 64 000.
    lsalt = seeded("authpro-legacy-salt", 20)
    liv = seeded("authpro-legacy-iv", 16)
    lkey = PBKDF2HMAC(algorithm=hashes.SHA1(), length=32, salt=lsalt, iterations=64_000).derive(PASSWORD)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(lkey), modes.CBC(liv)).encryptor()
    write("authenticator-pro/legacy.authpro", b"AuthenticatorPro" + lsalt + liv + enc.update(padded) + enc.finalize())
    write("authenticator-pro/broken-truncated.authpro", b"AUTHENTICATORPRO" + salt[:10])


def main():
    if sys.argv[1:]:
        print(__doc__)
        return
    make_aegis()
    make_two_fas()
    make_and_otp()
    make_bitwarden()
    make_google()
    make_microsoft()
    make_free_otp_plus()
    make_text_formats()
    make_authenticator_pro()
    write("garbage.bin", seeded("garbage-top", 300))
    for name, raw in (("A", SECRET_A), ("B", SECRET_B), ("C", SECRET_C), ("D", SECRET_D), ("E", SECRET_E)):
        print(f"secret {name}: {b32(raw)}")
    print(f"secret MSA: {b32(SECRET_MSA)}")


if __name__ == "__main__":
    main()
