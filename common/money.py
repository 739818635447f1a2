"""Money as the reader's language writes it: CAD, « 12,50 $ » in French, "$12.50" in
English. Amounts are Decimal; they are shown with two decimals, never rounded here
beyond that (the services round, see orders/pricing.py)."""

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils.formats import number_format
from django.utils.translation import get_language


def format_money(value: Decimal | int | str | None) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return _money(amount, get_language() or "fr")


@lru_cache(maxsize=8192)
def _money(amount: Decimal, language: str) -> str:
    """Remembered: a week's sheets write the same few thousand amounts 100,000 times,
    and Django's number formatting is most of their cost. (The language is the key:
    it is the one the formatting reads, active when this is called.)"""
    sign = "-" if amount < 0 else ""
    digits = number_format(abs(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    if language.startswith("fr"):
        return f"{sign}{digits}\u00a0$"
    return f"{sign}${digits}"


def format_kg(value: Decimal | None) -> str:
    """A weight in kg as the reader's language writes it, without trailing zeros:
    « 2,2 », « 1,92 », « 3,675 » (to the gram)."""
    if value is None:
        return ""
    text = format(Decimal(value).quantize(Decimal("0.001")), "f").rstrip("0").rstrip(".")
    return number_format(Decimal(text), decimal_pos=len(text.partition(".")[2]), use_l10n=True)
