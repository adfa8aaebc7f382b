#!/usr/bin/env python3
"""Reports on a large PostgreSQL workspace: wall time and peak memory of `wangge report
monthly` and `wangge report index`, two binaries side by side in one sitting (before and
after a change), each run `--rounds` times in turn, and whether they wrote the same.

    python3 benches/reports_10m.py "postgres://...?schema=bench_kpi" --bin NEW --old-bin OLD

The workspace is the 10M-incident one `benches/kpi_kept.py` fills. Peak memory is the
process's maximum resident set (`/usr/bin/time -v`). Prints a Markdown table.
"""
import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path


def run(binary, args, out_dir):
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v", binary, *args], cwd=out_dir,
                       capture_output=True, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit(f"{binary} {' '.join(args)}: {p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return dt, rss / 1024, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--old-bin", required=True)
    ap.add_argument("--month", default=time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600)))
    ap.add_argument("--index-month", default=None)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    index_month = a.index_month or a.month
    jobs = [
        ("report monthly", lambda o: ["report", "monthly", a.url, "--month", a.month, "-o", o]),
        ("report index --by community",
         lambda o: ["report", "index", a.url, "--month", index_month, "--by", "community"]),
    ]
    print("| job | binary | runs | wall s (each) | peak RSS MB (max) | same output |")
    print("|---|---|---:|---|---:|---|")
    with tempfile.TemporaryDirectory() as d:
        for name, args in jobs:
            results = {}
            for r in range(a.rounds):
                for label, binary in (("old", a.old_bin), ("new", a.bin)):
                    out = str(Path(d) / f"{label}{r}.html")
                    dt, rss, stdout = run(binary, args(out), d)
                    text = stdout
                    if name.startswith("report monthly"):
                        # The page names the moment its steps are counted at: left out.
                        text = re.sub(r"steps as of [0-9TZ:-]+", "", Path(out).read_text())
                    results.setdefault(label, []).append((dt, rss, text))
            same = results["old"][0][2] == results["new"][0][2]
            for label, binary in (("old", a.old_bin), ("new", a.bin)):
                rs = results[label]
                print(f"| {name} | {Path(binary).name} | {len(rs)} | "
                      f"{', '.join(f'{x[0]:.1f}' for x in rs)} | {max(x[1] for x in rs):.0f} | "
                      f"{'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
