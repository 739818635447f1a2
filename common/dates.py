"""Dates as French writes them: the first of the month is « 1er » (« le 1er décembre »),
every other day a plain number. Django's formats do the rest (« mardi 8 décembre »).

`date_format` is Django's, with that rule; the template filter `date` (a builtin, see
`common.template_dates`) applies it to every `|date:"j F"` of the templates."""

from datetime import date, datetime

from django.utils import formats, translation


def first_of_month_format(fmt: str, value: date | datetime) -> str:
    """`fmt` with its day number (`j`, unescaped) written « 1er » on the first of the
    month in French; unchanged otherwise."""
    language = translation.get_language() or ""
    if not language.startswith("fr") or getattr(value, "day", None) != 1:
        return fmt
    out = []
    escaped = False
    for char in fmt:
        if escaped:
            out.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "j":
            out.append("\\1\\e\\r")
        else:
            out.append(char)
    if escaped:
        out.append("\\")
    return "".join(out)


def date_format(value: date | datetime, fmt: str) -> str:
    return formats.date_format(value, first_of_month_format(fmt, value))
