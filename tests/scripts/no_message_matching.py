#!/usr/bin/env python3
"""Fails when the server, the CLI or the viewer decides something by matching the text of an
error message (`message.contains("no plan")`, `/^edit refused/.test(text)`, ...): statuses and
translations come from typed errors and stable codes (issue 19). Matching an io::ErrorKind or
a code is fine. Test modules (`#[cfg(test)]` onwards) are not looked at.

Run: python3 tests/scripts/no_message_matching.py [--self-test]"""
import os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMES = r"(?:message|msg|detail|why|err|error|text|reason|e|m)"
RUST = re.compile(r"\b" + NAMES + r"(?:\.to_string\(\))?\s*\.\s*(?:contains|starts_with|ends_with|find|matches)\s*\(\s*\"")
JS = [
    re.compile(r"\b" + NAMES + r"(?:\.message)?\s*\.\s*(?:includes|startsWith|endsWith|match|search|replace)\s*\(\s*[/\"'`]"),
    re.compile(r"/[^/\n]+/[gimsuy]*\s*\.\s*test\s*\(\s*(?:err\.)?" + NAMES + r"\b"),
]


def rust_lines(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip().startswith("#[cfg(test)]"):
                return
            yield n, line


def scan():
    bad = []
    for base in ["crates/wangge-server/src", "src/cli", "src"]:
        d = os.path.join(ROOT, base)
        for dirpath, _, files in os.walk(d):
            if base == "src" and dirpath != d:
                continue
            for f in files:
                if f.endswith(".rs"):
                    p = os.path.join(dirpath, f)
                    for n, line in rust_lines(p):
                        if RUST.search(line):
                            bad.append(f"{os.path.relpath(p, ROOT)}:{n}: {line.strip()}")
    for dirpath in [os.path.join(ROOT, "web-viewer", "app"), os.path.join(ROOT, "web-viewer")]:
        for f in os.listdir(dirpath):
            if f.endswith((".js", ".html")):
                p = os.path.join(dirpath, f)
                with open(p, encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        if any(r.search(line) for r in JS):
                            bad.append(f"{os.path.relpath(p, ROOT)}:{n}: {line.strip()}")
    return bad


def self_test():
    caught = [
        'wangge_io::Error::Usage { message, .. } if message.contains("no plan") => {',
        'let too_many = problems[0].message.contains("at most");',
        'if e.to_string().starts_with("edit refused") {',
    ]
    fine = ['if (0..=max).contains(&x) {', 'roles.contains(&role)', 'v.split(",").any(|t| t.trim().starts_with("gzip"))']
    js_caught = ['const core = text.replace(/^edit refused: /, "");', 'if (/over the cap/.test(err.message)) {']
    js_fine = ['const text = zh.replace(/\\{(\\w+)\\}/g, f);', 'esc(s).replace(/[&<>"]/g, f)']
    ok = all(RUST.search(l) for l in caught) and not any(RUST.search(l) for l in fine)
    ok = ok and all(any(r.search(l) for r in JS) for l in js_caught)
    ok = ok and not any(any(r.search(l) for r in JS) for l in js_fine)
    return ok


if __name__ == "__main__":
    if not self_test():
        sys.exit("no_message_matching.py: the self-test failed (the patterns no longer catch what they must)")
    if "--self-test" in sys.argv:
        print("self-test ok")
        sys.exit(0)
    found = scan()
    for b in found:
        print(b)
    if found:
        sys.exit(f"{len(found)} places decide by an error message's text: use a typed error or a code")
    print("no error message is matched by its text")
