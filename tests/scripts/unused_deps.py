#!/usr/bin/env python3
"""Finds dependencies a crate declares but never names (what `cargo machete` does, without
installing it): for each Cargo.toml of the workspace, every [dependencies] /
[dev-dependencies] entry must appear as `name::` / `use name` / `extern crate name` (dashes
as underscores) somewhere in the crate's sources, tests, benches or build script. Entries that
are used only through features or by other crates' macros are listed in IGNORED with why.

Run: python3 tests/scripts/unused_deps.py"""
import os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# (crate dir, dependency) pairs used without being named in Rust code, and why.
IGNORED: set = set()


def deps(toml):
    out, section = [], None
    for line in open(toml, encoding="utf-8"):
        s = line.strip()
        m = re.match(r"^\[(.+)\]$", s)
        if m:
            section = m.group(1)
            continue
        if section in ("dependencies", "dev-dependencies", "build-dependencies"):
            m = re.match(r"^([A-Za-z0-9_-]+)\s*(?:\.workspace)?\s*=", s)
            if m:
                out.append((section, m.group(1)))
    return out


def sources(d):
    for sub in ["src", "tests", "benches", "fuzz", "examples"]:
        for dirpath, _, files in os.walk(os.path.join(d, sub)):
            if "/target" in dirpath or (sub == "src" and d == ROOT and "crates" in dirpath):
                continue
            for f in files:
                if f.endswith(".rs"):
                    yield os.path.join(dirpath, f)
    if os.path.exists(os.path.join(d, "build.rs")):
        yield os.path.join(d, "build.rs")


def main():
    crates = [ROOT] + [os.path.join(ROOT, "crates", c) for c in sorted(os.listdir(os.path.join(ROOT, "crates")))]
    bad = []
    for d in crates:
        text = "\n".join(open(p, encoding="utf-8").read() for p in sources(d))
        for section, name in deps(os.path.join(d, "Cargo.toml")):
            rel = os.path.relpath(d, ROOT) if d != ROOT else "."
            if (rel, name) in IGNORED:
                continue
            ident = name.replace("-", "_")
            if not re.search(r"\b" + ident + r"\s*::|\buse\s+" + ident + r"\b|\bextern\s+crate\s+" + ident + r"\b|#\[" + ident + r"::", text):
                bad.append(f"{rel}/Cargo.toml: {section} {name} is never used")
    for b in bad:
        print(b)
    if bad:
        return 1
    print(f"unused dependencies: none in {len(crates)} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
