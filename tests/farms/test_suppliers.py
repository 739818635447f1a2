"""Suppliers that are not farms (#18, part 6): a coordinator adds a coffee roaster as a
supplier; the shop, the directory and the order pages then say « producteur » (and
« Nos fermes et fournisseurs ») where a co-op of farms only still says « ferme », the
supplier's page and portal say « fournisseur »."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from farms.models import Farm
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    cache.clear()
    with translation.override("fr-ca"):
        yield


def _pages(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        name: client.get(reverse(url), HTTP_ACCEPT_LANGUAGE="fr-ca").content.decode()
        for name, url in (
            ("shop", "baskets:shop"),
            ("directory", "farms:directory"),
            ("home", "baskets:home"),
        )
    }


def test_a_supplier_changes_the_words_and_only_then(client) -> None:
    window = factories.window()
    factories.offer(window_=window, product_=factories.product(farm_=factories.farm()))
    client.force_login(factories.user())
    farms_only = _pages(client)
    assert '<label for="f-farm">Ferme</label>' in farms_only["shop"]
    assert "Nos fermes et fournisseurs" not in farms_only["directory"] + farms_only["home"]
    assert "Nos fermes" in farms_only["directory"]

    coordinator = factories.coordinator()
    client.force_login(coordinator)
    response = client.post(
        reverse("farms:coordinator_farm_create"),
        {
            "name": "Brûlerie du Quartier",
            "kind": "supplier",
            "region": "montreal",
            "town": "Montréal",
            "email": "cafe@example.org",
            "language": "fr-ca",
        },
    )
    assert response.status_code == 302
    roaster = Farm.objects.get(name="Brûlerie du Quartier")
    assert roaster.kind == Farm.Kind.SUPPLIER
    factories.offer(window_=window, product_=factories.product(farm_=roaster, name="Café"))
    client.force_login(factories.user())
    with_supplier = _pages(client)
    assert '<label for="f-farm">Producteur</label>' in with_supplier["shop"]
    assert "Toutes les fermes et tous les fournisseurs" in with_supplier["shop"]
    assert "Nos fermes et fournisseurs" in with_supplier["directory"]
    assert "Nos fermes et fournisseurs" in with_supplier["home"]
    page = client.get(roaster.get_absolute_url()).content.decode()
    assert '<span class="badge">fournisseur</span>' in page
    farmer = factories.farmer(farm_=roaster)
    client.force_login(farmer)
    portal = client.get(reverse("farms:products", args=[roaster.slug])).content.decode()
    assert "Portail du fournisseur" in portal
