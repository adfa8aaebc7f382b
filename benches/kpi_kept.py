#!/usr/bin/env python3
"""KPI tables at scale on PostgreSQL: kept, brought up to date, counted afresh.

    python3 benches/kpi_kept.py URL [--bin BIN] [--old-bin OLD] [--with-steps]

URL is a PostgreSQL workspace with many incidents (`benches/store_peers.py --extra 10000000
--reads-only` leaves one, or `store_peers.city` + `add_incidents`). --with-steps first gives
the current month's cases (with --past-steps also the month three months back) steps in
SQL (the CSV import takes none: 80% dispatched 0.5-3 h after the report, 85% of those
handled 2-48 h later, 90% followed up 1-24 h later, 95% closed 0.5-12 h later, none after
now; the rows' step columns only). `store_peers.add_incidents(..., at=address_points(gpkg))`
puts the incidents at the city's address points, nearly all in a community, as a district's
geocoded cases are (the default box leaves nine in ten outside every community). Then, one
server each:
  - the reads of `store_peers.reads` (kept tables; the first request after a new report and
    after a step);
  - tables counted afresh (each `asof` an earlier minute, so nothing kept holds);
  - a wall polling at `asof` now every 5 s for 90 s, nothing written (with --old-bin, that
    binary too, in the same run);
  - a server just started: each level's first request at once and 10 s after its port
    opened (the warmer's first round), --fresh-rounds servers each (--fresh-only: these
    alone).
Prints Markdown rows (p50 / p99 ms).
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import store_peers as sp  # noqa: E402

THIS_MONTH = "month = date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')::date"
# The month `counted` asks as "3 months ago" (90 days back).
PAST_MONTH = ("month = date_trunc('month', (now() - interval '90 days') "
              "AT TIME ZONE 'Asia/Shanghai')::date")
STEPS = """
BEGIN;
CREATE TEMP TABLE s AS
SELECT id, month, time,
       time + make_interval(secs => 1800 + random() * 9000) AS d,
       random() AS r1, random() AS r2, random() AS r3, random() AS r4,
       make_interval(secs => 7200 + random() * 165600) AS h,
       make_interval(secs => 3600 + random() * 82800) AS f,
       make_interval(secs => 1800 + random() * 41400) AS c
FROM {s}.incidents WHERE {months};
UPDATE {s}.incidents i SET
  dispatched_at = CASE WHEN s.r1 < 0.8 AND s.d <= now() THEN s.d END,
  handled_at = CASE WHEN s.r1 < 0.8 AND s.r2 < 0.85 AND s.d + s.h <= now() THEN s.d + s.h END,
  followed_up_at = CASE WHEN s.r1 < 0.8 AND s.r2 < 0.85 AND s.r3 < 0.9
                        AND s.d + s.h + s.f <= now() THEN s.d + s.h + s.f END,
  closed_at = CASE WHEN s.r1 < 0.8 AND s.r2 < 0.85 AND s.r3 < 0.9 AND s.r4 < 0.95
                   AND s.d + s.h + s.f + s.c <= now() THEN s.d + s.h + s.f + s.c END
FROM s WHERE i.id = s.id AND i.month = s.month;
UPDATE {s}.incidents SET
  status = CASE WHEN closed_at IS NOT NULL THEN 'closed' WHEN followed_up_at IS NOT NULL
                THEN 'followed_up' WHEN handled_at IS NOT NULL THEN 'handled'
                WHEN dispatched_at IS NOT NULL THEN 'dispatched' ELSE 'reported' END,
  dispatches = CASE WHEN dispatched_at IS NOT NULL THEN 1 ELSE 0 END
WHERE {months};
COMMIT;
"""


def row(name, ts):
    ts = sorted(ts)
    return f"| {name} | {statistics.median(ts):.1f} | {ts[max(0, int(len(ts) * 0.99) - 1)]:.1f} |"


def counted(bin_, ws, n):
    """Tables counted afresh: this month and the month three months back, each request at an
    `asof` an earlier minute (nothing kept holds), once the warmer's first round is done (each
    level asked at now and the three months before at their ends first: a request waits for
    the warmer's count of its table), so a request does not share the two cores with the
    warmer's counts."""
    srv = sp.Servers(bin_, ws, 1, Path(tempfile.mkdtemp()))
    port, now = srv.ports[0], time.time()
    month = time.strftime("%Y-%m", time.gmtime(now + 8 * 3600))
    past = time.strftime("%Y-%m", time.gmtime(now + 8 * 3600 - 90 * 86400))
    levels = ("district", "street", "community")
    for level in levels:
        assert sp.get(port, f"/api/kpi?month={month}&by={level}")[0] == 200
    # And the months before at their ends, which the warmer's first round counts next.
    y, mo = int(month[:4]), int(month[5:])
    for _ in range(3):
        y, mo = (y, mo - 1) if mo > 1 else (y - 1, 12)
        for level in levels:
            assert sp.get(port, f"/api/kpi?month={y:04d}-{mo:02d}&by={level}")[0] == 200
    time.sleep(2)
    out = []
    for m, name, base in ((month, "this month", now + 8 * 3600 - 3600),
                          (past, "3 months ago", now + 8 * 3600 - 30 * 86400)):
        for level in levels:
            ts = []
            for k in range(1, n + 1):
                a = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(base - k * 61))
                code, ms = sp.get(port, f"/api/kpi?month={m}&by={level}&asof={urllib.parse.quote(a)}")
                assert code == 200, code
                ts.append(ms)
            out.append(row(f"KPI {level}, {name}, counted (asof an earlier minute each)", ts))
    srv.close()
    return out


def poll(bin_, ws, every, seconds):
    srv = sp.Servers(bin_, ws, 1, Path(tempfile.mkdtemp()))
    port = srv.ports[0]
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))
    levels = ("district", "street", "community")
    for level in levels:
        sp.get(port, f"/api/kpi?month={month}&by={level}")
    times = {level: [] for level in levels}
    stop = time.time() + seconds
    while time.time() < stop:
        time.sleep(every)
        for level in levels:
            times[level].append(sp.get(port, f"/api/kpi?month={month}&by={level}")[1])
    srv.close()
    return [f"| {Path(bin_).name} | KPI {level}, asof now, every {every:g} s | {len(ts)} | "
            f"{statistics.median(ts):.1f} | {max(ts):.1f} |" for level, ts in times.items()]


def fresh(bin_, ws, wait, rounds):
    """First requests of a server just started (each level once, `asof` now), `wait` seconds
    after its port opened: the warmer's first round (this month's tables at start) against a
    request counting the month itself."""
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))
    times = {level: [] for level in ("district", "street", "community")}
    for _ in range(rounds):
        srv = sp.Servers(bin_, ws, 1, Path(tempfile.mkdtemp()))
        time.sleep(wait)
        for level in times:
            code, ms = sp.get(srv.ports[0], f"/api/kpi?month={month}&by={level}")
            assert code == 200, code
            times[level].append(ms)
        srv.close()
    return [f"| {Path(bin_).name} | KPI {level}, first request {wait:g} s after start | "
            f"{len(ts)} | {statistics.median(ts):.1f} | {max(ts):.1f} |" for level, ts in times.items()]


def fresh_past(bin_, ws, wait, rounds):
    """First requests for the three months before this one (each level once, the default
    `asof`: the month's end) on a server just started, `wait` seconds after its port opened:
    the warmer's first round counts them after this month's tables."""
    now = time.time() + 8 * 3600
    months = []
    for k in range(3):
        m = time.strftime("%Y-%m", time.gmtime(now))
        y, mo = int(m[:4]), int(m[5:])
        for _ in range(k + 1):
            y, mo = (y, mo - 1) if mo > 1 else (y - 1, 12)
        months.append(f"{y:04d}-{mo:02d}")
    times = {level: [] for level in ("district", "street", "community")}
    for _ in range(rounds):
        srv = sp.Servers(bin_, ws, 1, Path(tempfile.mkdtemp()))
        time.sleep(wait)
        for m in months:
            for level in times:
                code, ms = sp.get(srv.ports[0], f"/api/kpi?month={m}&by={level}")
                assert code == 200, code
                times[level].append(ms)
        srv.close()
    return [f"| {Path(bin_).name} | KPI {level}, each of the 3 months before, first request {wait:g} s "
            f"after start | {len(ts)} | {statistics.median(ts):.1f} | {max(ts):.1f} |"
            for level, ts in times.items()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--bin", default=str(sp.ROOT / "target/release/wangge"))
    ap.add_argument("--old-bin")
    ap.add_argument("--with-steps", action="store_true")
    ap.add_argument("--past-steps", action="store_true",
                    help="with --with-steps: the month three months back (the one the "
                         "counted tables ask) given steps too, mostly closed then, as a "
                         "district's past months are (every month's: over 20 minutes)")
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--poll-seconds", type=float, default=90)
    ap.add_argument("--fresh-rounds", type=int, default=3)
    ap.add_argument("--fresh-only", action="store_true")
    ap.add_argument("--past-only", action="store_true",
                    help="only the first requests for past months on a server just started")
    ap.add_argument("--counted-only", action="store_true",
                    help="only the tables counted afresh (--requests each)")
    a = ap.parse_args()
    if a.with_steps:
        schema = a.url.rsplit("schema=", 1)[1]
        subprocess.run(["psql", a.url.split("?")[0], "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-c", STEPS.replace("{s}", schema).replace(
                            "{months}", f"({THIS_MONTH} OR {PAST_MONTH})" if a.past_steps else THIS_MONTH)],
                       check=True)
        # VACUUM runs outside a transaction block: a command of its own.
        subprocess.run(["psql", a.url.split("?")[0], "-X", "-q", "-c",
                        f"VACUUM ANALYZE {schema}.incidents"], check=True)
    if a.past_only:
        print("| binary | request | requests | p50 | max |\n|---|---|---:|---:|---:|")
        for b in [x for x in (a.old_bin, a.bin) if x]:
            for wait in (0, 30):
                print("\n".join(fresh_past(b, a.url, wait, a.fresh_rounds)))
        return
    if a.counted_only:
        print("| request | p50 | p99 |\n|---|---:|---:|")
        print("\n".join(counted(a.bin, a.url, a.requests)))
        return
    if a.fresh_only:
        print("| binary | request | servers | p50 | max |\n|---|---|---:|---:|---:|")
        for b in [x for x in (a.old_bin, a.bin) if x]:
            for wait in (0, 10):
                print("\n".join(fresh(b, a.url, wait, a.fresh_rounds)))
        return
    out, rss = sp.reads(a.bin, a.url, Path(tempfile.mkdtemp()), a.requests)
    print("| request | p50 | p99 |\n|---|---:|---:|")
    for name, (p50, p99, _) in out.items():
        print(f"| {name} | {p50:.1f} | {p99:.1f} |")
    print("\n".join(counted(a.bin, a.url, 20)))
    print(f"\nServer RSS after the reads: {rss:.0f} MB (heat index included).\n")
    print("| binary | request | polls | p50 | max |\n|---|---|---:|---:|---:|")
    for b in [x for x in (a.old_bin, a.bin) if x]:
        print("\n".join(poll(b, a.url, 5, a.poll_seconds)))
    for b in [x for x in (a.old_bin, a.bin) if x]:
        for wait in (0, 10):
            print("\n".join(fresh(b, a.url, wait, a.fresh_rounds)))


if __name__ == "__main__":
    main()
