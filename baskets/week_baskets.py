"""The basket of the week: composed by a coordinator from the week's offers, added by a
customer in one tap. Each item becomes an ordinary line of the customer's basket (the
same service as every add: never oversold), which they may then swap or change."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from farms import photos
from orders import basket, pricing
from orders.errors import BasketError
from orders.models import Offer, OrderLine, OrderWindow

from .models import WeekBasket, WeekBasketItem

MAX_ITEMS = 30


@dataclass(frozen=True, kw_only=True)
class WeekBasketData:
    name: str
    description: str
    indicative_price: Decimal | None
    is_published: bool
    items: Sequence[tuple[int, int]]  # (offer id, quantity)


@transaction.atomic
def week_basket_save(
    *,
    window_id: int,
    data: WeekBasketData,
    basket_id: int | None = None,
    photo: File | None = None,
    remove_photo: bool = False,
) -> WeekBasket:
    """Create or change a basket of the week (a coordinator's)."""
    window = OrderWindow.objects.get(pk=window_id)
    if window.status not in (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN):
        raise BasketError(_("This week is closed for orders."))
    name = data.name.strip()
    if not name:
        raise BasketError(_("Give the basket a name."))
    items = {offer_id: quantity for offer_id, quantity in data.items if quantity > 0}
    if not items:
        raise BasketError(_("Put at least one product in the basket."))
    if len(items) > MAX_ITEMS:
        raise BasketError(_("A basket holds at most %(max)d products.") % {"max": MAX_ITEMS})
    if any(q > basket.MAX_UNITS_PER_LINE for q in items.values()):
        raise BasketError(
            _("At most %(max)d units per product.") % {"max": basket.MAX_UNITS_PER_LINE}
        )
    offered = set(Offer.objects.filter(window=window, pk__in=items).values_list("pk", flat=True))
    if offered != set(items):
        raise BasketError(_("Every product of the basket must be offered this week."))
    week_basket = (
        WeekBasket.objects.select_for_update().get(pk=basket_id, window=window)
        if basket_id is not None
        else WeekBasket(window=window)
    )
    week_basket.name = name
    week_basket.description = data.description.strip()
    week_basket.indicative_price = data.indicative_price
    week_basket.is_published = data.is_published
    replaced = [n for n in (week_basket.photo.name, week_basket.thumbnail.name) if n]
    if photo is not None:
        week_basket.photo = photo  # type: ignore[assignment]  # stored by save()
        week_basket.thumbnail = photos.thumbnail(photo)  # type: ignore[arg-type,assignment]
    elif remove_photo:
        week_basket.photo = ""  # type: ignore[assignment]
        week_basket.thumbnail = ""  # type: ignore[assignment]
    else:
        replaced = []
    try:
        with transaction.atomic():
            week_basket.save()
    except IntegrityError:
        raise BasketError(
            _("This week already has a basket named %(name)s.") % {"name": name}
        ) from None
    WeekBasketItem.objects.filter(basket=week_basket).delete()
    WeekBasketItem.objects.bulk_create(
        WeekBasketItem(basket=week_basket, offer_id=offer_id, quantity=quantity)
        for offer_id, quantity in sorted(items.items())
    )
    storage = week_basket.photo.storage
    for old in replaced:
        transaction.on_commit(partial(storage.delete, old))
    return week_basket


@dataclass(frozen=True, slots=True)
class TakeReport:
    added: list[str]
    short: list[str]  # fewer units than the basket has
    sold_out: list[str]


def week_basket_take(*, customer_id: int, basket_id: int, now: datetime) -> TakeReport:
    """Add the basket's items to the customer's basket, on top of what it holds."""
    week_basket = WeekBasket.objects.filter(pk=basket_id, is_published=True).first()
    if week_basket is None:
        raise BasketError(_("This basket is no longer offered."))
    items = list(WeekBasketItem.objects.filter(basket=week_basket).select_related("offer__product"))
    current = dict(
        OrderLine.objects.filter(
            order__window_id=week_basket.window_id, order__customer_id=customer_id
        ).values_list("offer_id", "quantity")
    )
    wanted = {i.offer_id: current.get(i.offer_id, 0) + i.quantity for i in items}
    names = {i.offer_id: i.offer.product.name for i in items}
    results = basket.basket_fill(
        customer_id=customer_id,
        window_id=week_basket.window_id,
        wanted=sorted(wanted.items()),
        now=now,
    )
    report = TakeReport(added=[], short=[], sold_out=[])
    for result in sorted(results, key=lambda r: names[r.offer_id]):
        before = current.get(result.offer_id, 0)
        if result.quantity <= before:
            report.sold_out.append(names[result.offer_id])
        elif result.short:
            report.short.append(names[result.offer_id])
        else:
            report.added.append(names[result.offer_id])
    return report


@dataclass(frozen=True, slots=True)
class WeekBasketCard:
    basket: WeekBasket
    items: list[tuple[str, str, int, int]]  # product, farm, quantity, units left (≤ quantity)
    total: Decimal  # its items at this week's prices, taxes included

    @property
    def price(self) -> Decimal:
        return self.basket.indicative_price or self.total

    @property
    def missing(self) -> list[str]:
        return [product for product, _farm, quantity, left in self.items if left < quantity]


def week_basket_cards(*, window: OrderWindow, published_only: bool = True) -> list[WeekBasketCard]:
    """The week's baskets with their items and what is left of each (two queries)."""
    baskets = WeekBasket.objects.filter(window=window).order_by("name")
    if published_only:
        baskets = baskets.filter(is_published=True)
    found = list(baskets)
    if not found:
        return []
    by_basket: dict[int, list[WeekBasketItem]] = {b.pk: [] for b in found}
    for item in (
        WeekBasketItem.objects.filter(basket__in=found)
        .select_related("offer__product__farm")
        .order_by("offer__product__name")
    ):
        by_basket[item.basket_id].append(item)
    cards = []
    for week_basket in found:
        items = by_basket[week_basket.pk]
        cards.append(
            WeekBasketCard(
                basket=week_basket,
                items=[
                    (
                        i.offer.product.name,
                        i.offer.product.farm.name,
                        i.quantity,
                        min(i.quantity, i.offer.remaining),
                    )
                    for i in items
                ],
                total=pricing.totals(
                    (
                        i.offer.price,
                        i.quantity,
                        i.offer.product.tax_class,
                        pricing.kg(
                            estimate=i.offer.product.estimated_weight,
                            weight=None,
                            delivered=i.quantity,
                        ),
                    )
                    for i in items
                ).total,
            )
        )
    return cards
