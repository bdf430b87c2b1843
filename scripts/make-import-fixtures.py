#!/usr/bin/env python3
"""Writes the import fixtures under tests/fixtures/, one folder per source format.

Every module in scripts/fixtures/ (sorted by name; those starting with '_' hold
shared code and are not called) has a `make(out_dir)` that writes its app's
files into tests/fixtures/<app>/. Adding a format's fixtures is one new module.

The encrypted files are made with Python's own crypto (the `cryptography`
package and hashlib), not with keyfob, so the importers are checked against an
independent implementation of each format, following the apps' own algorithms.
Salts, nonces and keys come from a fixed seed (and SQLite's random WAL salts are
replaced by fixed ones), so rerunning gives the same bytes.

    pip install cryptography   # 44 or newer (Argon2id); only the stdlib besides
    python3 scripts/make-import-fixtures.py [MODULE ...]   # all modules, or these

The expected accounts are the constants in scripts/fixtures/_common.py;
tests/import_formats.rs and tests/import_cli.rs spell out the same values.
"""

import importlib.util
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
MODULES = HERE / "fixtures"
OUT = HERE.parent / "tests" / "fixtures"


def modules(only):
    for path in sorted(MODULES.glob("*.py")):
        if path.stem.startswith("_") or (only and path.stem not in only):
            continue
        spec = importlib.util.spec_from_file_location(f"fixtures_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.stem, module


def main():
    only = set(sys.argv[1:])
    if only & {"-h", "--help"}:
        print(__doc__)
        return
    sys.path.insert(0, str(MODULES))
    made = []
    for name, module in modules(only):
        module.make(OUT)
        made.append(name)
    unknown = only - set(made)
    if unknown:
        sys.exit(f"no fixture module named {', '.join(sorted(unknown))} in {MODULES}")
    print(f"wrote the fixtures of: {', '.join(made)}")


if __name__ == "__main__":
    main()
