#!/usr/bin/env python3
"""Two binaries side by side: the same plans, and no slowdown beyond noise.

For a refactoring that must not change behaviour (issue 19: the store interface, the
application layer, the partitioner's pipeline): an OLD and a NEW `wangge` binary each build
the same workspaces, and

1. **plans**: each partitions them with the same seed; the plans' rows (grids with their
   polygons as stored WKB, members, exceptions, metrics; time stamps left out) are hashed
   and must be byte-identical;
2. **time**: partition, coverage (every catalogue category) and the PMTiles export of all
   layers (z10-16) are timed with the two binaries alternately, `--rounds` times each (three
   by default), medians compared. On these shared 2-core machines 10-30% between runs is
   noise; the ratio new/old is what to read.

Cities: the synthetic compound city (`wangge generate`, `--households`, 200,000 by default,
seed 1: the size of a real district, so the steps' own time outweighs process start) and the
real Nanjing Xuanwu extract (../shared/data/osm/nanjing-xuanwu.osm).

Run: python3 benches/before_after.py --old OLD_BIN --new target/release/wangge [--rounds 3]
Build the old binary from the commit before the change in a worktree with its own target
directory, e.g. `git worktree add /tmp/old REV && (cd /tmp/old && CARGO_TARGET_DIR=/tmp/old-target
cargo build --release)`.
"""
import argparse, hashlib, os, sqlite3, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NANJING = os.path.join(ROOT, "..", "shared", "data", "osm", "nanjing-xuanwu.osm")


def run(cmd, cwd):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")
    return time.perf_counter() - t


def plan_digest(ws):
    """SHA-256 of every plan row (time stamps left out), in key order."""
    h = hashlib.sha256()
    con = sqlite3.connect(ws)
    queries = [
        "SELECT plan_id, code, community, households, workers, area_m2, polsby_popper, reock, hex(geom) FROM grids ORDER BY fid",
        "SELECT * FROM grid_members ORDER BY rowid",
        "SELECT * FROM plan_exceptions ORDER BY rowid",
        "SELECT id, kind, cap, seed, parent, communities, grids, households, lower_bound, packing_bound, pp_mean, pp_p10, pp_min, reock_mean, street_share, violations FROM plans ORDER BY id",
    ]
    rows = 0
    for q in queries:
        for r in con.execute(q):
            h.update(repr(r).encode())
            rows += 1
    con.close()
    return h.hexdigest()[:16], rows


def prepare(bin_, city, d, households):
    ws = os.path.join(d, "w.gpkg")
    if city == "demo":
        run([bin_, "generate", "--households", str(households), "--seed", "1", "--workspace", ws], d)
    else:
        run([bin_, "import", NANJING, "--workspace", ws], d)
    return ws


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--households", type=int, default=200_000)
    a = ap.parse_args()
    bins = {"old": os.path.abspath(a.old), "new": os.path.abspath(a.new)}
    print("# Before and after (issue 19)\n")
    print(f"old: `{a.old}`, new: `{a.new}`, {a.rounds} alternating rounds, medians; "
          f"synthetic city of {a.households:,} households.\n")
    same = True
    times = {}
    for city in ["demo", "nanjing"]:
        digests = {}
        for r in range(a.rounds):
            for which in ["old", "new"] if r % 2 == 0 else ["new", "old"]:
                b = bins[which]
                with tempfile.TemporaryDirectory() as d:
                    ws = prepare(b, city, d, a.households)
                    t = {}
                    t["partition"] = run([b, "partition", ws, "--seed", "7"], d)
                    t["coverage"] = run([b, "coverage", ws, "--report", os.path.join(d, "c.csv")], d)
                    t["tiles"] = run([b, "tiles", "export", ws, "-o", os.path.join(d, "t.pmtiles")], d)
                    digests.setdefault(which, set()).add(plan_digest(ws))
                for k, v in t.items():
                    times.setdefault((city, k, which), []).append(v)
        old, new = digests["old"], digests["new"]
        ok = old == new and len(old) == 1
        same &= ok
        (dg, rows), = new if len(new) == 1 else [(str(sorted(new)), 0)]
        print(f"- {city}: plan digest old {sorted(old)}, new {sorted(new)}: "
              f"{'byte-identical' if ok else 'DIFFERENT'} ({rows} rows)")
    print("\n| city | step | old median s | new median s | new/old |")
    print("|---|---|---:|---:|---:|")
    for city in ["demo", "nanjing"]:
        for step in ["partition", "coverage", "tiles"]:
            o = statistics.median(times[(city, step, "old")])
            n = statistics.median(times[(city, step, "new")])
            print(f"| {city} | {step} | {o:.2f} | {n:.2f} | {n / o:.2f} |")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
