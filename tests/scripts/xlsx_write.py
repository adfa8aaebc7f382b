"""Writes a workbook with openpyxl (not our writer) from JSON on stdin:
{"sheet": name, "title": optional text in row 1, "rows": [[...], ...]} (the header first);
values that look like "=date:YYYY-MM-DD HH:MM" become datetimes, numbers stay numbers.
Usage: python3 xlsx_write.py FILE.xlsx < spec.json"""
import datetime
import json
import sys

import openpyxl

spec = json.load(sys.stdin)
book = openpyxl.Workbook()
ws = book.active
ws.title = spec["sheet"]
if spec.get("title"):
    ws.append([spec["title"]])
for r in spec["rows"]:
    out = []
    for v in r:
        if isinstance(v, str) and v.startswith("=date:"):
            v = datetime.datetime.strptime(v[6:], "%Y-%m-%d %H:%M")
        out.append(v)
    ws.append(out)
book.save(sys.argv[1])
