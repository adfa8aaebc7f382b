#!/usr/bin/env python3
"""Checks the code map promises of ARCHITECTURE.md (issue 19):

1. rusqlite is used only under crates/wangge-io/src/gpkg/ (the GeoPackage backend), and only
   wangge-io depends on it;
2. no module imports another that imports it back, inside any crate (file-level cycles of
   `use crate::..`, `super::..` and inline paths; re-exports of a mod.rs resolve to the file
   that defines the item; test modules are left out);
3. no function in the library crates is longer than 100 lines unless a `// Long: <reason>`
   comment stands right above it (its doc comment and attributes may sit between).

Run: python3 tests/scripts/check_layers.py [--report] [--self-test]"""
import os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_FN = 100


def code_lines(path):
    """The lines of a file up to its test module."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip().startswith("#[cfg(test)]"):
                break
            out.append(line.rstrip("\n"))
    return out


def rust_files(base):
    for dirpath, _, files in os.walk(base):
        for f in sorted(files):
            if f.endswith(".rs"):
                yield os.path.join(dirpath, f)


def check_rusqlite():
    bad = []
    allowed = os.path.join(ROOT, "crates", "wangge-io", "src", "gpkg") + os.sep
    for base in ["crates", "src", "tests", "benches"]:
        for p in rust_files(os.path.join(ROOT, base)):
            if p.startswith(allowed):
                continue
            with open(p, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if re.search(r"\brusqlite\b", line):
                        bad.append(f"{os.path.relpath(p, ROOT)}:{n}: rusqlite outside gpkg/")
    for dirpath, _, files in os.walk(os.path.join(ROOT, "crates")):
        if "Cargo.toml" in files and not dirpath.endswith("wangge-io"):
            with open(os.path.join(dirpath, "Cargo.toml"), encoding="utf-8") as f:
                if re.search(r"^rusqlite", f.read(), re.M):
                    bad.append(f"{os.path.relpath(dirpath, ROOT)}/Cargo.toml depends on rusqlite")
    return bad


# ---- module cycles -------------------------------------------------------------------------

def modules_of(src):
    """Map module path tuple -> file for one crate's src directory."""
    mods = {}
    for p in rust_files(src):
        rel = os.path.relpath(p, src)[:-3].split(os.sep)
        if rel[-1] in ("lib", "main", "mod"):
            rel = rel[:-1]
        mods[tuple(rel)] = p
    return mods


def expand(tree):
    """Expands a use tree `a::{b, c::{d, e}}` into paths."""
    tree = re.sub(r"\s+", "", tree)
    i = tree.find("{")
    if i < 0:
        return [tree]
    head, body = tree[:i], tree[i + 1 : tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    if cur:
        parts.append(cur)
    out = []
    for part in parts:
        out.extend(expand(head + part) if part else [])
    return out


def references(lines):
    text = "\n".join(l for l in lines if not l.strip().startswith("//"))
    refs = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        refs.extend(expand(m.group(1)))
    for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)", text):
        refs.append(m.group(1))
    return refs


def reexports(lines):
    """Names a module re-exports, by the child module that defines them."""
    out = {}
    text = "\n".join(lines)
    for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", text):
        for path in expand(m.group(1)):
            path = re.sub(r"\bas\s*\w+$", "", path.replace(" as ", " as "))
            segs = [s for s in path.split("::") if s]
            if len(segs) >= 2 and segs[0] not in ("crate", "super", "std"):
                out[segs[-1]] = segs[0]
    return out


def resolve(path, here, mods, exports):
    segs = [s.split(" as ")[0] for s in path.split("::") if s]
    segs = [re.sub(r"as\w+$", "", s) if s.endswith(tuple()) else s for s in segs]
    if not segs:
        return None
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = list(here)
        rest = segs
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
        base = tuple(base)
    else:
        return None
    cur = base
    for s in rest:
        if cur + (s,) in mods:
            cur = cur + (s,)
        elif cur in mods and s in exports.get(cur, {}) and cur + (exports[cur][s],) in mods:
            cur = cur + (exports[cur][s],)
            break
        else:
            break
    return cur if cur in mods else None


def cycles_of(src):
    mods = modules_of(src)
    lines = {m: code_lines(p) for m, p in mods.items()}
    exports = {m: reexports(l) for m, l in lines.items()}
    graph = {m: set() for m in mods}
    for m, ls in lines.items():
        here = m if os.path.basename(mods[m]) in ("mod.rs", "lib.rs", "main.rs") else m
        # `super` in a file module refers to its parent; in a mod.rs to the parent too.
        for r in references(ls):
            t = resolve(r, here, mods, exports)
            if t is None or t == m:
                continue
            # A parent declaring or re-exporting its children is not a dependency.
            if t[: len(m)] == m:
                continue
            # A child naming its ancestor module for an item that is the ancestor's own is
            # kept; an ancestor that only re-exports resolved above to the defining child.
            graph[m].add(t)
    # Tarjan's strongly connected components.
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                names = sorted("::".join(c) or "(root)" for c in comp)
                if "--report" in sys.argv:
                    for a in sorted(comp):
                        for b in sorted(graph[a] & set(comp)):
                            why = sorted(set(r for r in references(lines[a]) if resolve(r, a, mods, exports) == b))
                            print(f"  {'::'.join(a)} -> {'::'.join(b)}: {', '.join(why[:4])}")
                out.append(names)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def check_cycles():
    bad = []
    srcs = [os.path.join(ROOT, "src")] + [
        os.path.join(ROOT, "crates", c, "src") for c in sorted(os.listdir(os.path.join(ROOT, "crates")))
    ]
    for src in srcs:
        for comp in cycles_of(src):
            bad.append(f"{os.path.relpath(src, ROOT)}: modules import each other: {', '.join(comp)}")
    return bad


# ---- long functions ------------------------------------------------------------------------

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)")


def long_functions(path):
    lines = code_lines(path)
    out = []
    i = 0
    while i < len(lines):
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        # Find the opening brace of the body (or a `;` for a declaration).
        j, depth, opened = i, 0, False
        while j < len(lines):
            code = re.sub(r"//.*", "", re.sub(r'"(?:[^"\\]|\\.)*"', '""', lines[j]))
            if not opened and ";" in code and "{" not in code:
                break
            for ch in code:
                if ch == "{":
                    depth += 1
                    opened = True
                elif ch == "}":
                    depth -= 1
            if opened and depth <= 0:
                break
            j += 1
        length = j - i + 1
        if opened and length > MAX_FN:
            k = i - 1
            reason = False
            while k >= 0 and (lines[k].strip().startswith(("///", "#[", "//")) ):
                if lines[k].strip().startswith("// Long:"):
                    reason = True
                k -= 1
            if not reason:
                out.append((os.path.relpath(path, ROOT), i + 1, m.group(1), length))
        i += 1
    return out


def check_long():
    bad = []
    for c in sorted(os.listdir(os.path.join(ROOT, "crates"))):
        for p in rust_files(os.path.join(ROOT, "crates", c, "src")):
            for f, n, name, length in long_functions(p):
                bad.append(f"{f}:{n}: fn {name} is {length} lines (over {MAX_FN}; say why with `// Long: ...` above it)")
    return bad


def self_test():
    assert expand("super::{a, b::{C, D}}") == ["super::a", "super::b::C", "super::b::D"]
    mods = {(): "lib", ("a",): "a", ("a", "x"): "x", ("a", "y"): "y"}
    ex = {("a",): {"Thing": "y"}}
    assert resolve("super::Thing", ("a", "x"), mods, ex) == ("a", "y")
    assert resolve("crate::a::x::f", ("a", "y"), mods, ex) == ("a", "x")
    assert resolve("std::fmt", ("a",), mods, ex) is None
    print("self-test passed")


def main():
    if "--self-test" in sys.argv:
        self_test()
        return 0
    problems = check_rusqlite() + check_cycles() + check_long()
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problems (see ARCHITECTURE.md)", file=sys.stderr)
        return 1
    print("layers: rusqlite only in gpkg/, no module cycles, no unexplained long functions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
