"""The farmer portal's farm profile and product catalogue: only the farm's farmers and
the coordinators get in; forms refuse bad input with status 422 and say why; photos are
judged by their content."""

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import User
from farms import selectors
from farms.models import Category, Certification, Farm, Product, TaxClass, Unit
from farms.validators import PHOTO_MAX_BYTES, validate_photo
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (12, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (47, 107, 58)).save(buffer, image_format)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def product_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Tomates cerises",
        "category": Category.VEGETABLES,
        "description": "Rouges et jaunes.",
        "unit": Unit.PACKAGE,
        "package_size": "500 g",
        "price": "4.50",
        "tax_class": TaxClass.ZERO_RATED,
        "is_active": "on",
        "default_quantity": "12",
    }
    return {**data, **overrides}


def profile_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Ferme des Quatre Vents",
        "town": "Compton",
        "region": "estrie",
        "description": "Maraîchage diversifié depuis 1998.",
        "practices": "Engrais verts, pas de pesticides de synthèse.",
        "email": "bonjour@quatrevents.example",
        "phone": "819 555-0101",
        "website": "https://quatrevents.example",
        "language": "en",
    }
    return {**data, **overrides}


def error_codes(response: Any, field: str) -> list[str | None]:
    return [e.code for e in response.context["form"].errors.as_data().get(field, [])]


@pytest.fixture
def farm() -> Farm:
    return factories.farm(name="Ferme du Rang Double", town="Magog")


@pytest.fixture
def farmer_client(client: Client, farm: Farm) -> Client:
    client.force_login(factories.farmer(farm_=farm))
    return client


# --- Who may do what --------------------------------------------------------------------

ROLES = ["anonymous", "customer", "other_farmer", "farmer", "coordinator"]
ALLOWED = {"farmer", "coordinator"}
# Every page of this part of the portal, read and written.
PAGES = [
    ("profile", "get"),
    ("profile", "post"),
    ("products", "get"),
    ("product_create", "get"),
    ("product_create", "post"),
    ("product_edit", "get"),
    ("product_edit", "post"),
]


def make_user(role: str, farm: Farm) -> User | None:
    """One user of the role (only the one needed: each costs a password hash)."""
    makers: dict[str, Callable[[], User | None]] = {
        "anonymous": lambda: None,
        "customer": factories.user,
        "other_farmer": factories.farmer,
        "farmer": lambda: factories.farmer(farm_=farm),
        "coordinator": factories.coordinator,
    }
    return makers[role]()


def database_state() -> tuple[list[object], ...]:
    return (
        list(Farm.objects.order_by("pk").values()),
        list(Product.objects.order_by("pk").values()),
        list(Farm.certifications.through.objects.values_list("pk", flat=True)),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("page", "method"), PAGES)
def test_who_may_use_each_page(
    client: Client, farm: Farm, role: str, page: str, method: str
) -> None:
    """Farmers of the farm and coordinators get in; others get the login page or a 404,
    and their writes change nothing."""
    product = factories.product(farm_=farm, name="Ail", unit=Unit.EACH)
    if user := make_user(role, farm):
        client.force_login(user)
    args: list[object] = [farm.slug] + ([product.pk] if page == "product_edit" else [])
    url = reverse(f"farms:{page}", args=args)
    data = {
        "profile": profile_post(name="Nouveau nom"),
        "product_create": product_post(name="Nouveau produit"),
        "product_edit": product_post(name="Ail", unit=Unit.EACH, price="9.99"),
    }.get(page, {})
    before = database_state()

    response = client.post(url, data) if method == "post" else client.get(url)

    if role in ALLOWED:
        assert response.status_code == (302 if method == "post" else 200)
        if method == "post":
            assert database_state() != before
    else:
        if role == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("account_login"))
        else:
            assert response.status_code == 404
        assert database_state() == before


def test_a_product_of_another_farm_is_not_found_through_ones_own_farm(
    farmer_client: Client, farm: Farm
) -> None:
    """Farm A's farmer cannot reach farm B's product by putting its id in farm A's URL."""
    theirs = factories.product(farm_=factories.farm(), name="Miel", price=Decimal("12.00"))
    url = reverse("farms:product_edit", args=[farm.slug, theirs.pk])
    assert farmer_client.get(url).status_code == 404
    assert farmer_client.post(url, product_post(name="Volé", price="0.01")).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.price) == ("Miel", Decimal("12.00"))


def test_other_http_methods_are_refused(farmer_client: Client, farm: Farm) -> None:
    response = farmer_client.delete(reverse("farms:products", args=[farm.slug]))
    assert response.status_code == 405


# --- The catalogue ----------------------------------------------------------------------


def test_catalogue_lists_active_and_inactive_products_by_category_then_name(
    farmer_client: Client, farm: Farm
) -> None:
    factories.product(farm_=farm, name="Sirop d'érable", category=Category.MAPLE, unit=Unit.LITRE)
    factories.product(farm_=farm, name="Radis", category=Category.VEGETABLES)
    factories.product(farm_=farm, name="Épinards", category=Category.VEGETABLES, is_active=False)
    factories.product(farm_=farm, name="Ail", category=Category.VEGETABLES)
    factories.product(
        farm_=farm,
        name="Miel",
        category=Category.PANTRY,
        unit=Unit.PACKAGE,
        package_size="500 g",
        tax_class=TaxClass.TAXABLE,
    )
    factories.product(farm_=factories.farm(), name="Pas à nous", category=Category.FRUITS)

    sections = selectors.farm_catalogue(farm=farm)
    assert [(s.category, [p.name for p in s.products]) for s in sections] == [
        (Category.VEGETABLES, ["Ail", "Épinards", "Radis"]),
        (Category.MAPLE, ["Sirop d'érable"]),
        (Category.PANTRY, ["Miel"]),
    ]

    response = farmer_client.get(reverse("farms:products", args=[farm.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Pas à nous" not in page
    assert "500 g" in page  # the package's size stands for its unit
    assert page.index("Ail") < page.index("Épinards") < page.index("Radis") < page.index("Miel")
    assert 'class="is-inactive"' in page
    assert reverse("farms:product_create", args=[farm.slug]) in page
    for product in Product.objects.filter(farm=farm):
        assert reverse("farms:product_edit", args=[farm.slug, product.pk]) in page


def test_catalogue_queries_do_not_grow_with_products(
    farmer_client: Client, farm: Farm, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        factories.product(farm_=farm, name=f"Produit {n}")
    with django_assert_max_num_queries(12):
        assert farmer_client.get(reverse("farms:products", args=[farm.slug])).status_code == 200


def test_an_empty_catalogue_invites_to_add_a_product(farmer_client: Client, farm: Farm) -> None:
    response = farmer_client.get(
        reverse("farms:products", args=[farm.slug]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Your catalogue is empty" in response.content.decode()


# --- Creating and editing a product -----------------------------------------------------


def test_creating_a_product(farmer_client: Client, farm: Farm) -> None:
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]), product_post(), follow=True
    )
    assert response.redirect_chain == [(reverse("farms:products", args=[farm.slug]), 302)]
    product = Product.objects.get(farm=farm)
    assert product.name == "Tomates cerises"
    assert product.unit_label == "500 g"
    assert product.price == Decimal("4.50")
    assert product.default_quantity == 12
    assert product.is_active
    assert not product.photo
    assert "Tomates cerises" in str(list(response.context["messages"])[0])


def test_editing_a_product(farmer_client: Client, farm: Farm) -> None:
    product = factories.product(farm_=farm, name="Carottes", unit=Unit.BUNCH)
    url = reverse("farms:product_edit", args=[farm.slug, product.pk])
    form_page = farmer_client.get(url).content.decode()
    assert 'value="3,50"' in form_page  # French shows the price with its comma
    assert 'enctype="multipart/form-data"' in form_page

    response = farmer_client.post(
        url,
        product_post(
            name="Carottes nantaises",
            unit=Unit.KG,
            package_size="",
            price="2,75",
            is_active="",
            default_quantity="0",
            tax_class=TaxClass.TAXABLE,
        ),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.unit, product.price) == (
        "Carottes nantaises",
        "kg",
        Decimal("2.75"),
    )
    assert (product.is_active, product.default_quantity) == (False, 0)
    assert product.tax_class == TaxClass.TAXABLE


def test_a_duplicate_product_is_a_form_error(farmer_client: Client, farm: Farm) -> None:
    factories.product(farm_=farm, name="Tomates cerises", unit=Unit.PACKAGE, package_size="500 g")
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert error_codes(response, "name") == ["duplicate"]
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "already has a product of this name" in page
    assert 'value="Tomates cerises"' in page  # what was typed is kept
    assert Product.objects.filter(farm=farm).count() == 1


def test_the_same_name_in_another_size_or_farm_is_not_a_duplicate(
    farmer_client: Client, farm: Farm
) -> None:
    factories.product(farm_=farm, name="Tomates cerises", unit=Unit.PACKAGE, package_size="1 kg")
    factories.product(
        farm_=factories.farm(), name="Tomates cerises", unit=Unit.PACKAGE, package_size="500 g"
    )
    response = farmer_client.post(reverse("farms:product_create", args=[farm.slug]), product_post())
    assert response.status_code == 302
    assert Product.objects.filter(farm=farm).count() == 2


def test_renaming_a_product_into_another_is_a_form_error(farmer_client: Client, farm: Farm) -> None:
    factories.product(farm_=farm, name="Ail", unit=Unit.EACH)
    other = factories.product(farm_=farm, name="Oignons", unit=Unit.EACH)
    response = farmer_client.post(
        reverse("farms:product_edit", args=[farm.slug, other.pk]),
        product_post(name="Ail", unit=Unit.EACH),
    )
    assert response.status_code == 422
    assert error_codes(response, "name") == ["duplicate"]
    other.refresh_from_db()
    assert other.name == "Oignons"
    assert "Oignons" in response.content.decode()  # the page's title is the product as saved


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("fr-ca", "4,50"),
        ("fr-ca", "4.50"),
        ("fr-ca", " 4,50 $"),
        ("en", "4.50"),
        ("en", "$4.50"),
        ("en", "4,50"),
    ],
)
def test_a_price_is_read_as_people_type_it(
    farmer_client: Client, farm: Farm, language: str, typed: str
) -> None:
    farmer_client.cookies["coop_language"] = language
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]), product_post(price=typed)
    )
    assert response.status_code == 302
    assert Product.objects.get(farm=farm).price == Decimal("4.50")


@pytest.mark.parametrize("typed", ["0", "0,00", "-1", "-4,50", "", "quatre", "4,555", "NaN"])
def test_a_price_must_be_positive_with_two_decimals_at_most(
    farmer_client: Client, farm: Farm, typed: str
) -> None:
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]), product_post(price=typed)
    )
    assert response.status_code == 422
    assert response.context["form"].errors["price"]
    assert not Product.objects.exists()


def test_a_zero_price_says_it_must_be_greater_than_zero(farmer_client: Client, farm: Farm) -> None:
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(price="0"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert error_codes(response, "price") == ["min_value"]
    assert "Enter a price greater than zero." in response.content.decode()


def test_a_package_needs_its_size(farmer_client: Client, farm: Farm) -> None:
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]), product_post(package_size="  ")
    )
    assert response.status_code == 422
    assert error_codes(response, "package_size") == ["package_size_required"]
    assert not Product.objects.exists()


def test_a_size_is_dropped_for_other_units(farmer_client: Client, farm: Farm) -> None:
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(unit=Unit.BUNCH, package_size="500 g"),
    )
    assert response.status_code == 302
    product = Product.objects.get(farm=farm)
    assert (product.package_size, product.unit_label) == ("", "botte")


@pytest.mark.parametrize("typed", ["-1", "2,5", "beaucoup"])
def test_the_default_quantity_is_a_whole_number(
    farmer_client: Client, farm: Farm, typed: str
) -> None:
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]), product_post(default_quantity=typed)
    )
    assert response.status_code == 422
    assert response.context["form"].errors["default_quantity"]


# --- Photos -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "image_format", "stored_as"),
    [
        ("carottes.png", "PNG", ".png"),
        ("IMG_0001.JPG", "JPEG", ".jpg"),
        ("t.webp", "WEBP", ".webp"),
    ],
)
def test_a_real_image_is_accepted(
    farmer_client: Client, farm: Farm, name: str, image_format: str, stored_as: str
) -> None:
    photo = upload(name, image_bytes(image_format))
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]), product_post(photo=photo)
    )
    assert response.status_code == 302
    product = Product.objects.get(farm=farm)
    assert str(product.photo.name).startswith("products/")
    assert str(product.photo.name).endswith(stored_as)
    assert product.photo.storage.exists(str(product.photo.name))


def test_a_photo_is_stored_under_the_extension_of_its_content(
    farmer_client: Client, farm: Farm
) -> None:
    """A PNG named page.html is stored as page.png: never served as HTML."""
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(photo=upload("page.html", image_bytes("PNG"), "text/html")),
    )
    assert response.status_code == 302
    assert str(Product.objects.get(farm=farm).photo.name).endswith("/page.png")


@pytest.mark.parametrize(
    ("photo", "code"),
    [
        (upload("photo.jpg", b"Ceci n'est pas une image.\n" * 20, "image/jpeg"), "photo_type"),
        (upload("anim.gif", image_bytes("GIF"), "image/gif"), "photo_type"),
        (upload("scan.bmp", image_bytes("BMP"), "image/bmp"), "photo_type"),
        # Over 5 MB: refused for its size before anything reads it (it is no image at all).
        (
            upload("huge.jpg", b"\xff\xd8\xff\xe0" + b"\0" * PHOTO_MAX_BYTES, "image/jpeg"),
            "photo_too_large",
        ),
    ],
    ids=["text-named-jpg", "gif", "bmp", "over-5-mb"],
)
def test_a_photo_that_is_not_a_small_jpeg_png_or_webp_is_refused(
    farmer_client: Client, farm: Farm, photo: SimpleUploadedFile, code: str
) -> None:
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]), product_post(photo=photo)
    )
    assert response.status_code == 422
    assert error_codes(response, "photo") == [code]
    assert not Product.objects.exists()


def test_photo_errors_are_clear(farmer_client: Client, farm: Farm) -> None:
    url = reverse("farms:product_create", args=[farm.slug])
    farmer_client.cookies["coop_language"] = "en"
    wrong_type = farmer_client.post(
        url, product_post(photo=upload("a.gif", image_bytes("GIF"), "image/gif"))
    )
    assert "The file must be a JPEG, PNG or WebP image." in wrong_type.content.decode()
    too_big = farmer_client.post(
        url, product_post(photo=upload("b.png", b"\x89PNG" + b"\0" * PHOTO_MAX_BYTES))
    )
    assert "The image must not be larger than 5 MB." in too_big.content.decode()


def test_the_validator_alone() -> None:
    validate_photo(upload("ok.png", image_bytes("PNG")))
    with pytest.raises(ValidationError) as refused:
        validate_photo(upload("no.gif", image_bytes("GIF")))
    assert refused.value.code == "photo_type"


def test_editing_keeps_replaces_or_removes_the_photo(farmer_client: Client, farm: Farm) -> None:
    create = reverse("farms:product_create", args=[farm.slug])
    farmer_client.post(create, product_post(photo=upload("a.png", image_bytes("PNG"))))
    product = Product.objects.get(farm=farm)
    url = reverse("farms:product_edit", args=[farm.slug, product.pk])
    first = product.photo.name

    assert farmer_client.post(url, product_post(price="5")).status_code == 302
    product.refresh_from_db()
    assert product.photo.name == first  # nothing sent: kept

    farmer_client.post(url, product_post(photo=upload("b.jpg", image_bytes("JPEG"))))
    product.refresh_from_db()
    assert str(product.photo.name).endswith(".jpg")

    farmer_client.post(url, product_post(remove_photo="on"))
    product.refresh_from_db()
    assert not product.photo


def test_a_replaced_photo_file_is_deleted_once_saved(
    farmer_client: Client, farm: Farm, django_capture_on_commit_callbacks: Any
) -> None:
    farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(photo=upload("a.png", image_bytes("PNG"))),
    )
    product = Product.objects.get(farm=farm)
    old = str(product.photo.name)
    with django_capture_on_commit_callbacks(execute=True):
        farmer_client.post(
            reverse("farms:product_edit", args=[farm.slug, product.pk]),
            product_post(photo=upload("b.png", image_bytes("PNG"))),
        )
    product.refresh_from_db()
    assert product.photo.name != old
    assert not product.photo.storage.exists(old)
    assert product.photo.storage.exists(str(product.photo.name))


# --- The farm's profile -----------------------------------------------------------------


def test_updating_the_profile(farmer_client: Client, farm: Farm) -> None:
    bio = Certification.objects.create(name="Biologique Canada", slug="bio")
    Certification.objects.create(name="Écocert", slug="ecocert")
    page = farmer_client.get(reverse("farms:profile", args=[farm.slug])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "Biologique Canada" in page

    response = farmer_client.post(
        reverse("farms:profile", args=[farm.slug]),
        profile_post(
            certifications=[bio.pk],
            slug="un-autre-slug",
            photo=upload("ferme.png", image_bytes("PNG")),
        ),
        follow=True,
    )
    assert response.redirect_chain == [(reverse("farms:profile", args=[farm.slug]), 302)]
    old_slug = farm.slug
    farm.refresh_from_db()
    assert farm.slug == old_slug  # the slug never changes
    assert (farm.name, farm.town, farm.region) == ("Ferme des Quatre Vents", "Compton", "estrie")
    assert (farm.email, farm.phone, farm.language) == (
        "bonjour@quatrevents.example",
        "819 555-0101",
        "en",
    )
    assert farm.website == "https://quatrevents.example"
    assert list(farm.certifications.all()) == [bio]
    assert str(farm.photo.name).startswith("farms/")
    assert str(farm.photo.name).endswith(".png")


def test_a_refused_profile_keeps_what_was_typed_and_changes_nothing(
    farmer_client: Client, farm: Farm
) -> None:
    response = farmer_client.post(
        reverse("farms:profile", args=[farm.slug]),
        profile_post(name="", town="Sherbrooke", email="pas-un-courriel", region="atlantide"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"name", "email", "region"}
    page = response.content.decode()
    assert 'role="alert"' in page
    assert 'value="Sherbrooke"' in page
    assert 'aria-invalid="true"' in page
    assert "<h1>Ferme du Rang Double</h1>" in page  # the header shows the farm as saved
    farm.refresh_from_db()
    assert (farm.name, farm.town) == ("Ferme du Rang Double", "Magog")


def test_a_profile_photo_is_checked_too(farmer_client: Client, farm: Farm) -> None:
    response = farmer_client.post(
        reverse("farms:profile", args=[farm.slug]),
        profile_post(photo=upload("ferme.jpg", b"not an image", "image/jpeg")),
    )
    assert response.status_code == 422
    assert error_codes(response, "photo") == ["photo_type"]
    farm.refresh_from_db()
    assert farm.name == "Ferme du Rang Double"


@pytest.mark.parametrize(("field", "limit"), [("description", 3000), ("practices", 2000)])
def test_free_text_has_a_limit_and_a_refusal_keeps_what_was_saved(
    farmer_client: Client, farm: Farm, field: str, limit: int
) -> None:
    """The hostile probe saved a 2 MB description; the profile page then weighed 2 MB."""
    Farm.objects.filter(pk=farm.pk).update(**{field: "Déjà enregistré."})
    response = farmer_client.post(
        reverse("farms:profile", args=[farm.slug]),
        profile_post(**{field: "é" * (limit + 1)}),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert error_codes(response, field) == ["max_length"]
    assert f"at most {limit} characters" in response.content.decode()
    farm.refresh_from_db()
    assert getattr(farm, field) == "Déjà enregistré."
    ok = farmer_client.post(
        reverse("farms:profile", args=[farm.slug]), profile_post(**{field: "é" * limit})
    )
    assert ok.status_code == 302


def test_a_product_description_has_a_limit(farmer_client: Client, farm: Farm) -> None:
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(description="x" * 1001),
        HTTP_ACCEPT_LANGUAGE="fr-ca",
    )
    assert response.status_code == 422
    assert error_codes(response, "description") == ["max_length"]
    assert "au plus 1000 caractères" in response.content.decode()
    assert not farm.products.exists()


def _jpeg_with_gps(size: tuple[int, int] = (2400, 1200)) -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 30.0, 0.0), 3: "W", 4: (73.0, 35.0, 0.0)}  # GPS
    exif[0x0112] = 6  # orientation: the phone was held sideways
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_photo_is_stored_redrawn_without_its_trailer_or_gps(
    farmer_client: Client, farm: Farm
) -> None:
    """The probe's PNG with HTML appended was stored as sent, and a photo's EXIF (GPS
    position) was kept: both are gone, the photo is upright and fits 1600 px."""
    trailer = b"<html><script>alert(1)</script></html>"
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(photo=upload("tomates.png", image_bytes("PNG") + trailer)),
    )
    assert response.status_code == 302
    product = farm.products.get()
    with product.photo.open("rb") as stored:
        assert b"<html" not in stored.read()
    with Image.open(product.thumbnail.path) as thumb:
        assert thumb.format == "WEBP"
        assert max(thumb.size) <= 400

    sent = _jpeg_with_gps()
    with Image.open(io.BytesIO(sent)) as original:
        assert original.getexif().get_ifd(0x8825)  # the phone's GPS position is there
    response = farmer_client.post(
        reverse("farms:profile", args=[farm.slug]),
        profile_post(photo=upload("ferme.jpg", sent, "image/jpeg")),
    )
    assert response.status_code == 302
    farm.refresh_from_db()
    with Image.open(farm.photo.path) as photo:
        assert photo.format == "JPEG"
        assert not photo.getexif()  # no GPS, no orientation tag: drawn upright instead
        assert photo.size == (800, 1600)  # 1200 × 2400 turned upright, fitted in 1600
    assert str(farm.thumbnail.name).endswith("-thumb.webp")


# --- Sold by the piece, priced by weight (#17) ------------------------------------------


def test_a_product_sold_by_weight_has_its_estimate_per_piece(farmer_client, farm) -> None:  # type: ignore[no-untyped-def]
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(name="Poulet entier", unit=Unit.KG, package_size="", price="12.00",
                     estimated_weight="1,8"),
    )  # fmt: skip
    assert response.status_code == 302
    chicken = farm.products.get(name="Poulet entier")
    assert chicken.estimated_weight == Decimal("1.800")
    assert chicken.weighed


def test_a_weight_per_piece_needs_the_unit_kg(farmer_client, farm) -> None:  # type: ignore[no-untyped-def]
    response = farmer_client.post(
        reverse("farms:product_create", args=[farm.slug]),
        product_post(name="Ail", unit=Unit.BUNCH, package_size="", estimated_weight="0.2"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert response.context["form"].has_error("estimated_weight", "estimated_weight_per_kg")
    assert not farm.products.filter(name="Ail").exists()
