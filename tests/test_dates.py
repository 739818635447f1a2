"""Dates and words as each language writes them (issue #16, item 6): French's « 1er »,
the tab title's separator, GST/QST in English."""

from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from common.dates import date_format, first_of_month_format


@pytest.mark.parametrize(
    ("language", "day", "fmt", "expected"),
    [
        ("fr-ca", date(2026, 12, 1), "j F", "1er décembre"),
        ("fr-ca", date(2026, 12, 1), "l j F Y", "mardi 1er décembre 2026"),
        ("fr-ca", date(2026, 12, 2), "j F", "2 décembre"),
        ("fr-ca", date(2026, 12, 1), r"\j j", "j 1er"),  # an escaped j stays a letter
        ("fr-ca", date(2026, 12, 11), "j F", "11 décembre"),
        ("en", date(2026, 12, 1), "j F", "1 December"),
    ],
)
def test_the_first_of_the_month_is_1er_in_french_only(language, day, fmt, expected) -> None:
    with translation.override(language):
        assert date_format(day, fmt) == expected
        rendered = Template('{{ day|date:"' + fmt.replace("\\", "\\\\") + '" }}').render(
            Context({"day": day})
        )
        assert rendered == expected


def test_the_filter_keeps_local_time_and_the_default_format() -> None:
    moment = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.get_current_timezone())
    with translation.override("fr-ca"):
        assert Template('{{ at|date:"j F H:i" }}').render(Context({"at": moment})) == (
            "1er novembre 09:30"
        )
        assert Template("{{ day|date }}").render(Context({"day": date(2026, 11, 1)})) == (
            "1er novembre 2026"
        )
        assert Template("{{ nothing|date }}").render(Context({"nothing": None})) == ""
    assert first_of_month_format("j F", date(2026, 1, 5)) == "j F"


@pytest.mark.django_db
def test_tab_titles_descriptions_and_tax_names(client, settings) -> None:
    page = client.get("/shop/", HTTP_ACCEPT_LANGUAGE="fr-ca").content.decode()
    assert f"<title>Boutique — {settings.COOP_NAME}</title>" in page
    assert '<meta name="description" content="' in page
    with translation.override("en"):
        assert str(translation.gettext("GST collected")) == "GST collected"
    with translation.override("fr-ca"):
        assert translation.gettext("GST collected") == "TPS perçue"
        assert translation.gettext("QST") == "TVQ"
        assert translation.gettext("refused:") == "refusée :"
