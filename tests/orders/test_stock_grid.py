"""Farmers publish a window's stock: the grid, copy from last week, defaults, CSV both
ways, live counts; never below what is ordered, never after the deadline."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from orders.models import Offer, OrderLine
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():  # type: ignore[no-untyped-def]
    farm = factories.farm(name="Ferme du Rang Double")
    farmer = factories.farmer(farm_=farm)
    window = factories.window(open_now=False)  # upcoming
    carrots = factories.product(
        farm_=farm, name="Carottes", price=Decimal("3.50"), default_quantity=30
    )
    eggs = factories.product(farm_=farm, name="Œufs", price=Decimal("6.00"), default_quantity=12)
    kale = factories.product(
        farm_=farm, name="Chou frisé", price=Decimal("4.00"), default_quantity=0
    )
    return farm, farmer, window, carrots, eggs, kale


def grid_url(farm, window) -> str:  # type: ignore[no-untyped-def]
    return reverse("orders:stock_grid", args=[farm.slug, window.pk])


def test_grid_saves_all_rows_at_once(client, setup) -> None:
    farm, farmer, window, carrots, eggs, kale = setup
    client.force_login(farmer)
    response = client.post(
        grid_url(farm, window),
        {
            f"q-{carrots.pk}": "20",
            f"p-{carrots.pk}": "3,75",
            f"q-{eggs.pk}": "10",
            f"p-{eggs.pk}": "6.00",
            f"q-{kale.pk}": "",
            f"p-{kale.pk}": "4,00",
        },
    )
    assert response.status_code == 302
    offers = {o.product_id: o for o in Offer.objects.filter(window=window)}
    assert set(offers) == {carrots.pk, eggs.pk}
    assert (offers[carrots.pk].quantity, offers[carrots.pk].remaining) == (20, 20)
    assert offers[carrots.pk].price == Decimal("3.75")


def test_a_bad_row_shows_its_error_and_the_other_rows_are_kept(client, setup) -> None:
    farm, farmer, window, carrots, eggs, kale = setup
    client.force_login(farmer)
    response = client.post(
        grid_url(farm, window),
        {
            f"q-{carrots.pk}": "douze",
            f"p-{carrots.pk}": "3,50",
            f"q-{eggs.pk}": "10",
            f"p-{eggs.pk}": "6,00",
            f"q-{kale.pk}": "-3",
            f"p-{kale.pk}": "4,00",
        },
        HTTP_ACCEPT_LANGUAGE="fr-ca",
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert Offer.objects.get(window=window, product=eggs).quantity == 10  # the good row is saved
    assert not Offer.objects.filter(product__in=[carrots, kale]).exists()
    assert 'value="douze"' in html  # what the farmer typed is still there
    assert 'value="-3"' in html
    assert "Entrez un nombre entier" in html
    assert "La quantité ne peut pas être négative" in html


def test_cannot_offer_fewer_than_customers_ordered(client, setup) -> None:
    farm, farmer, window, carrots, *_ = setup
    offer = factories.offer(window_=window, product_=carrots, quantity=10)
    Offer.objects.filter(pk=offer.pk).update(remaining=3)  # customers took 7
    client.force_login(farmer)
    response = client.post(
        grid_url(farm, window),
        {f"q-{carrots.pk}": "5", f"p-{carrots.pk}": "3,50"},
        HTTP_ACCEPT_LANGUAGE="fr-ca",
    )
    assert response.status_code == 422
    assert "Les clients en ont déjà commandé 7" in response.content.decode()
    offer.refresh_from_db()
    assert (offer.quantity, offer.remaining) == (10, 3)
    # Raising is fine, and what was ordered stays ordered.
    client.post(grid_url(farm, window), {f"q-{carrots.pk}": "15", f"p-{carrots.pk}": "3,50"})
    offer.refresh_from_db()
    assert (offer.quantity, offer.remaining) == (15, 8)


def test_no_change_after_the_deadline_even_without_a_worker(client, setup) -> None:
    farm, farmer, window, carrots, *_ = setup
    now = timezone.now()
    window.opens_at, window.closes_at, window.status = (
        now - timedelta(days=4),
        now - timedelta(seconds=1),
        "open",
    )
    window.save()
    offer = factories.offer(window_=window, product_=carrots, quantity=10)
    client.force_login(farmer)
    response = client.post(
        grid_url(farm, window), {f"q-{carrots.pk}": "50", f"p-{carrots.pk}": "9"}
    )
    assert response.status_code == 409
    offer.refresh_from_db()
    assert (offer.quantity, offer.price) == (10, Decimal("3.50"))
    csv = SimpleUploadedFile("s.csv", f"product_id,quantity,price\n{carrots.pk},50,9\n".encode())
    upload = client.post(reverse("orders:stock_upload", args=[farm.slug, window.pk]), {"file": csv})
    assert upload.status_code == 409
    offer.refresh_from_db()
    assert offer.quantity == 10


def test_price_change_leaves_units_already_in_baskets_at_their_price(client, setup) -> None:
    farm, farmer, window, carrots, *_ = setup
    offer = factories.offer(window_=window, product_=carrots, quantity=10)
    order = factories.order(window_=window)
    line = OrderLine.objects.create(
        order=order, offer=offer, quantity=2, unit_price=offer.price, tax_class="zero"
    )
    Offer.objects.filter(pk=offer.pk).update(remaining=8)
    client.force_login(farmer)
    client.post(grid_url(farm, window), {f"q-{carrots.pk}": "10", f"p-{carrots.pk}": "4,25"})
    offer.refresh_from_db()
    line.refresh_from_db()
    assert offer.price == Decimal("4.25")
    assert line.unit_price == Decimal("3.50")


def test_copy_from_last_week_and_defaults_fill_the_grid_without_saving(client, setup) -> None:
    farm, farmer, window, carrots, eggs, kale = setup
    now = timezone.now()
    last = factories.window(
        opens_at=now - timedelta(days=8), closes_at=now - timedelta(days=4), status="closed"
    )
    factories.offer(window_=last, product_=carrots, quantity=24)
    client.force_login(farmer)
    page = client.get(grid_url(farm, window) + "?fill=last").content.decode()
    assert f'name="q-{carrots.pk}" value="24"' in page
    assert f'name="q-{eggs.pk}" value=""' in page
    page = client.get(grid_url(farm, window) + "?fill=defaults").content.decode()
    assert f'name="q-{carrots.pk}" value="30"' in page
    assert f'name="q-{eggs.pk}" value="12"' in page
    assert not Offer.objects.filter(window=window).exists()  # nothing saved until Save


def test_live_counts_update_in_place(client, setup) -> None:
    farm, farmer, _, carrots, *_ = setup
    window = factories.window()  # open now
    offer = factories.offer(window_=window, product_=carrots, quantity=10)
    Offer.objects.filter(pk=offer.pk).update(remaining=6)
    client.force_login(farmer)
    page = client.get(grid_url(farm, window)).content.decode()
    assert 'hx-trigger="every 20s"' in page
    counts = client.get(
        reverse("orders:stock_counts", args=[farm.slug, window.pk]), HTTP_HX_REQUEST="true"
    )
    html = counts.content.decode()
    assert f'id="ordered-{carrots.pk}" hx-swap-oob="true">4<' in html
    assert f'id="remaining-{carrots.pk}" hx-swap-oob="true">6<' in html


def test_csv_download_has_the_grid_columns(client, setup) -> None:
    farm, farmer, window, carrots, eggs, kale = setup
    factories.offer(window_=window, product_=eggs, quantity=12)
    client.force_login(farmer)
    response = client.get(reverse("orders:stock_csv", args=[farm.slug, window.pk]))
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "product_id,product,unit,quantity,price"
    assert f"{eggs.pk},Œufs,botte,12,6.00" in lines
    assert f"{carrots.pk},Carottes,botte,0,3.50" in lines


def test_csv_download_neutralizes_a_name_that_is_a_formula(client, setup) -> None:
    """A product named like a spreadsheet formula reaches the farmer's or coordinator's
    spreadsheet as text (the one CSV writer's guard), and the file uploads back."""
    farm, farmer, window, carrots, eggs, kale = setup
    trap = factories.product(farm_=farm, name='=HYPERLINK("http://evil.example","x")')
    client.force_login(farmer)
    response = client.get(reverse("orders:stock_csv", args=[farm.slug, window.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    (name,) = [row[1] for row in rows[1:] if int(row[0]) == trap.pk]
    assert name == '\'=HYPERLINK("http://evil.example","x")'
    assert not any(row[1].startswith("=") for row in rows)
    upload = client.post(
        reverse("orders:stock_upload", args=[farm.slug, window.pk]),
        {"file": SimpleUploadedFile("stock.csv", response.content, content_type="text/csv")},
    )
    assert upload.status_code == 200  # every row applies, the guarded name included


def test_csv_upload_applies_good_rows_and_reports_each_bad_one(client, setup) -> None:
    farm, farmer, window, carrots, eggs, kale = setup
    other = factories.product(name="Fromage d'ailleurs")  # another farm's product
    content = "\n".join(
        [
            "product_id,product,unit,quantity,price",
            f"{carrots.pk},Carottes,botte,25,3.50",  # good
            f"{eggs.pk},Œufs,douzaine,-4,6.00",  # negative quantity
            "999999,Tomates,kg,5,4.00",  # unknown product
            f"{kale.pk},Chou frisé,botte,beaucoup,4.00",  # not a number
            f"{other.pk},Fromage d'ailleurs,each,5,9.00",  # another farm's product
            f'{kale.pk},Chou frisé,botte,8,"4,25"',  # good, with a French decimal comma
        ]
    )
    client.force_login(farmer)
    response = client.post(
        reverse("orders:stock_upload", args=[farm.slug, window.pk]),
        {"file": SimpleUploadedFile("stock.csv", content.encode("utf-8"), content_type="text/csv")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    offers = {o.product_id: (o.quantity, o.price) for o in Offer.objects.filter(window=window)}
    assert offers == {carrots.pk: (25, Decimal("3.50")), kale.pk: (8, Decimal("4.25"))}
    assert not Offer.objects.filter(product=other).exists()
    report = {(o.line, o.applied, o.message) for o in response.context["report"]}
    assert report == {
        (2, True, "offered"),
        (3, False, "the quantity cannot be negative"),
        (4, False, "not in your catalogue"),
        (5, False, "the quantity « beaucoup » is not a whole number"),
        (6, False, "not in your catalogue"),
        (7, True, "offered"),
    }
    html = response.content.decode()
    assert "File read: 2 lines applied, 4 refused" in html


def test_csv_from_french_excel_semicolons_and_cp1252(client, setup) -> None:
    farm, farmer, window, carrots, eggs, _ = setup
    content = f"product_id;product;unit;quantity;price\r\n{eggs.pk};Œufs;douzaine;12;6,50 $\r\n"
    client.force_login(farmer)
    response = client.post(
        reverse("orders:stock_upload", args=[farm.slug, window.pk]),
        {"file": SimpleUploadedFile("stock.csv", content.encode("cp1252"))},
    )
    assert response.status_code == 200
    offer = Offer.objects.get(window=window, product=eggs)
    assert (offer.quantity, offer.price) == (12, Decimal("6.50"))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "Choisissez un fichier CSV"),
        (b"name,qty\nx,1\n", "La première ligne doit nommer les colonnes"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "pas un fichier texte"),
    ],
)
def test_unreadable_files_get_a_clear_message(client, setup, payload, message) -> None:
    farm, farmer, window, *_ = setup
    client.force_login(farmer)
    data = {"file": SimpleUploadedFile("x.csv", payload)} if payload else {}
    response = client.post(
        reverse("orders:stock_upload", args=[farm.slug, window.pk]),
        data,
        HTTP_ACCEPT_LANGUAGE="fr-ca",
    )
    assert response.status_code == 422
    assert message in response.content.decode()
