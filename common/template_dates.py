"""The templates' `date` filter, with French's « 1er » (`common.dates`): registered as a
builtin after Django's own, so `{{ day|date:"j F" }}` reads « 1er décembre » in French."""

from typing import Any

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import formats

from .dates import first_of_month_format

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value: Any, arg: str | None = None) -> str:
    if value in (None, ""):
        return ""
    fmt = arg if arg is not None else formats.get_format("DATE_FORMAT")
    return django_date(value, first_of_month_format(str(fmt), value))
