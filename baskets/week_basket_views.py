"""The basket of the week: the coordinator composes it; the customer adds it in one tap."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from orders import basket as basket_service
from orders.models import Offer, OrderWindow

from . import week_baskets
from .forms import WeekBasketForm
from .models import WeekBasket


@require_POST
@login_required
def week_basket_take(request: AuthenticatedHttpRequest, basket_id: int) -> HttpResponse:
    try:
        report = week_baskets.week_basket_take(
            customer_id=request.user.pk, basket_id=basket_id, now=timezone.now()
        )
    except basket_service.BasketError as refusal:
        messages.error(request, refusal.message)
        return redirect(reverse("baskets:shop") + "#week-baskets")
    if report.added or report.short:
        messages.success(
            request,
            _("Added to your basket: %(items)s. Swap or change any of them like any product.")
            % {"items": ", ".join(report.added + report.short)},
        )
    if report.short:
        messages.warning(
            request, _("Only part of: %(items)s.") % {"items": ", ".join(report.short)}
        )
    if report.sold_out:
        messages.warning(request, _("Sold out: %(items)s.") % {"items": ", ".join(report.sold_out)})
    return redirect("baskets:basket")


def _items(request: HttpRequest) -> list[tuple[int, int]]:
    items = []
    for key in request.POST:
        if key.startswith("q-"):
            try:
                offer_id, quantity = int(key[2:]), int(request.POST.get(key, "").strip() or "0")
            except ValueError:
                raise basket_service.BasketError(_("Enter a whole number of units.")) from None
            if not 0 <= quantity <= basket_service.MAX_UNITS_PER_LINE:
                raise basket_service.BasketError(
                    _("At most %(max)d units per product.")
                    % {"max": basket_service.MAX_UNITS_PER_LINE}
                )
            items.append((offer_id, quantity))
    return items


def _compose(
    request: HttpRequest, window: OrderWindow, week_basket: WeekBasket | None
) -> HttpResponse:
    initial = {}
    chosen: dict[int, int] = {}
    if week_basket is not None:
        initial = {
            "name": week_basket.name,
            "description": week_basket.description,
            "indicative_price": week_basket.indicative_price,
            "is_published": week_basket.is_published,
        }
        chosen = dict(week_basket.items.values_list("offer_id", "quantity"))
    form = WeekBasketForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = week_baskets.week_basket_save(
                    window_id=window.pk,
                    basket_id=week_basket.pk if week_basket else None,
                    data=week_baskets.WeekBasketData(
                        name=form.cleaned_data["name"],
                        description=form.cleaned_data["description"],
                        indicative_price=form.cleaned_data["indicative_price"],
                        is_published=form.cleaned_data["is_published"],
                        items=_items(request),
                    ),
                    photo=form.cleaned_data.get("photo"),
                    remove_photo=form.cleaned_data["remove_photo"],
                )
            except basket_service.BasketError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": saved.name})
                return redirect("baskets:coordinator_week_baskets", window_id=window.pk)
        status = 422
        if request.POST:
            chosen = {}
            for key in request.POST:
                if key.startswith("q-") and key[2:].isdigit():
                    value = request.POST.get(key, "").strip()
                    chosen[int(key[2:])] = int(value) if value.isdigit() else 0
    offers = list(
        Offer.objects.filter(window=window, quantity__gt=0)
        .select_related("product__farm")
        .order_by("product__category", "product__name", "product__farm__name")
    )
    return render(
        request,
        "baskets/week_baskets.html",
        {
            "window": window,
            "week_basket": week_basket,
            "cards": week_baskets.week_basket_cards(window=window, published_only=False),
            "form": form,
            "offers": [(offer, chosen.get(offer.pk, 0)) for offer in offers],
        },
        status=status,
    )


@coordinator_required
def coordinator_week_baskets(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    """The week's baskets, and a new one composed from its offers."""
    return _compose(request, get_object_or_404(OrderWindow, pk=window_id), None)


@coordinator_required
def coordinator_week_basket(request: AuthenticatedHttpRequest, basket_id: int) -> HttpResponse:
    week_basket = get_object_or_404(WeekBasket.objects.select_related("window"), pk=basket_id)
    return _compose(request, week_basket.window, week_basket)
