"""The one CSV writer of the app: every CSV the hub gives out (audit, reports, MI dataset, Annex A, sharing,
chronology) is written here, so no cell can reach a spreadsheet as a formula.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and a tab or carriage
return can hide one), so such text is kept as text by a leading single quote (OWASP, "CSV Injection").
Numbers the app computes (ints and floats, negative ones too) are written unchanged: they are data, not text
someone typed, so a numeric column stays numeric in the spreadsheet. Anything else is written as its text
and neutralised the same way; ``None`` is an empty cell.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: A cell of text starting with one of these is a formula (or hides one) to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value as a CSV cell that no spreadsheet runs: numbers as they are, text with a formula's first
    character quoted."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV file: the header row, then each row, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
