"""The one CSV writer: every CSV the co-op hands out goes through `csv_bytes`, so every
text cell passes the same formula guard."""

import csv
import io
import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?\d+([.,]\d+)?")


def csv_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (a farm named « =HYPERLINK(…) »)
    gets a leading apostrophe, which spreadsheets show as text. Numbers pass as they are."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not NUMBER.fullmatch(value)  # « -1.50 » is an amount, not a formula
    ):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Iterable[object]], *, bom: bool = True) -> bytes:
    """Rows as CSV (comma, CRLF). With `bom`, UTF-8 with a byte-order mark, so
    spreadsheets read the accents right; without, plain UTF-8 for imports."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([csv_safe(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")
