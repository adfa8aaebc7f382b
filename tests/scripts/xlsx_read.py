"""Reads a workbook with openpyxl (not our reader) and prints, as JSON, its sheets' names, the
frozen cell, the header row and each data row as [value, type] pairs (datetimes as ISO text).
Usage: python3 xlsx_read.py FILE.xlsx"""
import datetime
import json
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1])
ws = book.worksheets[0]
rows = list(ws.iter_rows(values_only=True))


def cell(v):
    if isinstance(v, datetime.datetime):
        return [v.isoformat(sep=" "), "datetime"]
    return [v, type(v).__name__]


print(json.dumps({
    "sheets": book.sheetnames,
    "freeze": ws.freeze_panes,
    "filter": ws.auto_filter.ref,
    "header": list(rows[0]),
    "rows": [[cell(v) for v in r] for r in rows[1:]],
}, ensure_ascii=False))
