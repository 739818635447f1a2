"""The customer's pages: home, shop and basket (htmx, and plain forms without
JavaScript), checkout, order pages and history."""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest
from farms.models import Farm
from farms.selectors import farm_directory
from orders import basket as basket_service
from orders import selectors as market
from orders import services as market_services
from orders.models import Offer, Order, OrderWindow, PickupPoint, PointClosure, Receipt
from orders.slots import closed_point_ids, slots_for_week
from organisations.roles import organisations_of
from payments import gateway
from payments.ledger import credit_balance, payment_state
from pickup import receipt_views

from . import emails, payment_views, selectors, usual, week_baskets
from .cards import (
    ListData,
    basket_parts,
    briefly,
    fill,
    hold_minutes,
    kept,
    list_data,
    note_on_card,
    offers_list,
    slot_values,
)
from .forms import CheckoutForm, LineForm

logger = logging.getLogger(__name__)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    farms = farm_directory()
    return render(
        request,
        "baskets/home.html",
        {
            "current": market.current_window(now=now),
            "upcoming": market.next_window(now=now),
            "farms": farms[:12],
            "farm_count": farms.count(),
        },
    )


def _filters(request: HttpRequest) -> selectors.ShopFilters:
    get = request.GET
    return selectors.ShopFilters(
        q=get.get("q", "")[:100].strip(),
        farm=get.get("farm", "")[:120],
        category=get.get("category", "")[:20],
        certification=get.get("certification", "")[:100],
    )


def _customer_id(request: HttpRequest) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


@require_safe
def shop(request: HttpRequest) -> HttpResponse:
    """The open window's offers by category, with filters and search, and the basket.
    What every customer sees alike is checked every SHOP_LIST_SECONDS (cards.briefly);
    the customer's basket on every page."""
    now = timezone.now()
    window = briefly("shop-window:v1", lambda: market.current_window(now=now))
    filters = _filters(request)
    context: dict[str, object] = {"window": window, "filters": filters}
    if window is None:
        last = selectors.previous_window()
        context.update(
            upcoming=market.next_window(now=now),
            last_window=last,
            last_groups=selectors.group_by_category(selectors.window_offers(window=last))
            if last
            else [],
        )
        return render(request, "baskets/shop_closed.html", context)
    parts, basket = basket_parts(request=request, window=window, where="shop")
    if basket and basket.order and basket.order.released:
        items = basket_service.basket_take_released_note(order=basket.order)
        messages.warning(
            request,
            _("Your basket was idle, so its units went back on sale: %(items)s.")
            % {"items": ", ".join(f"{i['quantity']} × {i['product']}" for i in items)},
        )
    next_url = request.get_full_path()
    note = request.session.pop(LINE_NOTE, None) if hasattr(request, "session") else None
    data = list_data(window)
    values = slot_values(request, next_url)
    listed = fill(
        offers_list(request=request, window=window, filters=filters, data=data, own=parts.cards),
        values,
    )
    if isinstance(note, dict) and isinstance(note.get("offer"), int):
        text = str(note.get("text", ""))
        noted = note_on_card(listed, offer_id=note["offer"], text=text)
        if noted is None:  # the product is not on this page (a filter): at the top, then
            messages.warning(request, text)
        else:
            listed = noted
    context.update(
        week_baskets=briefly(
            f"shop-week-baskets:v1:{window.pk}",
            lambda: week_baskets.week_basket_cards(window=window),
        ),
        usual=_usual(customer_id=_customer_id(request), window=window, data=data),
        next_url=next_url,
        header_basket_items=parts.items,
        hold=parts.hold,
        offers_list=_SLOT_MARKS["offers"],
        basket_panel=_SLOT_MARKS["panel"],
        basket_bar=_SLOT_MARKS["bar"],
    )
    # The page around them is drawn for this request; the three big parts, already
    # UTF-8, are put in where their marks are (no second encoding of 450 kB).
    page = render_to_string("baskets/shop.html", context, request)
    parts_bytes = {
        "offers": listed,
        "panel": fill(parts.panel, values),
        "bar": fill(parts.bar, values),
    }
    pieces = _SLOT_MARK.split(page)
    body = [
        parts_bytes[piece] if index % 2 else piece.encode() for index, piece in enumerate(pieces)
    ]
    return HttpResponse(b"".join(body))


_SLOT_MARKS = {name: mark_safe(f"<!--coop-part {name}-->") for name in ("offers", "panel", "bar")}  # noqa: S308
_SLOT_MARK = re.compile(r"<!--coop-part (offers|panel|bar)-->")


def _usual(*, customer_id: int | None, window: OrderWindow, data: ListData) -> object:
    """« Your usuals »: the products kept per customer while the week's list is the
    same (the prices and « sold out » they show are the list's; earlier weeks do not
    change while this one is open); their usual basket checked on every page."""
    if customer_id is None:
        return None
    products = kept(
        f"shop-usual:v1:{customer_id}:{window.pk}:{data.version}",
        lambda: usual.bought_products(customer_id=customer_id, window=window),
    )
    if not products:
        return None
    return usual.Usuals(products=products, has_standing=usual.has_standing(customer_id=customer_id))


LINE_NOTE = "baskets.line_note"  # the message of a change made without JavaScript


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@login_required
def line_update(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    """Add, +, −, type a quantity or remove: one endpoint, for htmx and for plain forms.
    A change that succeeds reads nothing before it (the service reads what it needs
    under its locks): on PostgreSQL the commonest one is five queries in all."""
    form = LineForm(request.POST)
    now = timezone.now()
    error = ""
    status = 200
    result = None
    if not form.is_valid():
        error, status = form.first_error(), 422
    else:
        try:
            result = basket_service.basket_line_set(
                customer_id=request.user.pk,
                offer_id=offer_id,
                now=now,
                quantity=form.cleaned_data.get("quantity"),
                delta=form.cleaned_data.get("delta"),
            )
        except Offer.DoesNotExist:
            raise Http404 from None
        except basket_service.WindowClosed as refusal:
            error, status = refusal.message, 409
        except basket_service.BasketError as refusal:
            error, status = refusal.message, 422
    offer: Offer | None = None
    if result is None:  # refused: the offer was not read yet (and may not exist)
        offer = get_object_or_404(Offer.objects.select_related("product__farm"), pk=offer_id)
    where = "shop" if request.POST.get("where") == "shop" else "basket"
    if not request.htmx:
        # Without JavaScript: back to the product acted on, its message beside it.
        back = _safe_next(request, reverse("baskets:shop")).split("#")[0]
        on_basket_page = request.POST.get("where") == "basket" or (
            not request.POST.get("where") and back.startswith(reverse("baskets:basket"))
        )
        where = "basket" if on_basket_page else "shop"
        anchor = f"#offer-{offer_id}" if where == "shop" else f"#line-{offer_id}"
        if error:
            return render(
                request,
                "baskets/line_error.html",
                {"error": error, "back": back + anchor},
                status=status,
            )
        if result and result.message:
            if where == "shop":
                request.session[LINE_NOTE] = {"offer": offer_id, "text": result.message}
            else:
                messages.warning(request, result.message)
        return redirect(back + anchor)
    window_id = result.window_id if result else offer.window_id  # type: ignore[union-attr]
    basket = selectors.basket_of(customer_id=request.user.pk, window=window_id)
    # The card: from the basket's line, read just now, after the change; else read.
    in_basket = next((line.offer for line in basket.lines if line.offer_id == offer_id), None)
    if in_basket is not None:
        offer = in_basket
    elif offer is None:
        offer = get_object_or_404(Offer.objects.select_related("product__farm"), pk=offer_id)
    selectors.decorate_offers([offer])
    context = {
        "offer": offer,
        "quantities": basket.quantities,
        "basket": basket,
        "hold": selectors.hold_of(basket=basket, minutes=hold_minutes(), now=now),
        "line_message": error or (result.message if result else ""),
        "line_error": bool(error),
        "next_url": _safe_next(request, reverse("baskets:shop")),
        "oob": True,
        "where": where,
    }
    return render(request, "baskets/partials/line_response.html", context, status=status)


@login_required
@require_safe
def basket_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The basket on its own page: one tap away on a phone."""
    now = timezone.now()
    window = market.current_window(now=now)
    basket = selectors.basket_of(customer_id=request.user.pk, window=window)
    return render(
        request,
        "baskets/basket.html",
        {
            "window": window,
            "basket": basket,
            "header_basket_items": basket.totals.items,
            "hold": selectors.hold_of(basket=basket, minutes=hold_minutes(), now=now),
            "next_url": reverse("baskets:basket"),
            "can_repeat": not basket.lines
            and selectors.has_order_to_repeat(customer_id=request.user.pk, window=window),
        },
    )


@require_POST
@login_required
def basket_keep(request: AuthenticatedHttpRequest) -> HttpResponse:
    """« Keep them 60 more minutes »: the basket's units held again for the whole hold
    time, back to the page the customer was on (WCAG 2.2.1)."""
    now = timezone.now()
    window = market.current_window(now=now)
    kept = window is not None and basket_service.basket_keep(
        customer_id=request.user.pk, window_id=window.pk, now=now
    )
    if kept:
        until = timezone.localtime(now + timedelta(minutes=hold_minutes()))
        messages.success(
            request,
            _("Your products are held for you until %(time)s.")
            % {"time": date_format(until, "TIME_FORMAT")},
        )
    else:
        messages.warning(request, _("Your basket holds no products to keep."))
    return redirect(_safe_next(request, reverse("baskets:basket")))


@login_required
def checkout(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    window = market.current_window(now=now)
    if window is None:
        messages.error(request, _("Ordering is closed for now."))
        return redirect("baskets:shop")
    basket = selectors.basket_of(customer_id=request.user.pk, window=window)
    if not basket.lines:
        messages.info(request, _("Your basket is empty."))
        return redirect("baskets:shop")
    order = basket.order
    assert order is not None  # noqa: S101 - lines imply an order
    closed = closed_point_ids(window)
    points = [p for p in PickupPoint.objects.filter(is_active=True) if p.pk not in closed]
    slots = slots_for_week(window)
    room = basket_service.slots_with_room(window=window, exclude_order_id=order.pk)
    methods = market_services.payment_methods_offered()
    initial = {
        "pickup_point": order.pickup_point_id,
        "pickup_slot": order.pickup_slot_id,
        # The language they chose for this order, else the one they are reading now.
        "language": order.language
        if order.status == Order.Status.CONFIRMED
        else (
            get_language() if get_language() in dict(settings.LANGUAGES) else request.user.language
        ),
        "payment_method": order.payment_method if order.payment_method in methods else methods[0],
    }
    form = CheckoutForm(
        request.POST or None,
        points=points,
        room=room,
        methods=methods,
        slots=slots,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    confirmed = basket_service.order_confirm(
                        customer_id=request.user.pk,
                        window_id=window.pk,
                        pickup_point_id=form.cleaned_data["pickup_point"].pk,
                        pickup_slot_id=form.cleaned_data["pickup_slot"],
                        language=form.cleaned_data["language"],
                        now=now,
                        payment_method=form.cleaned_data["payment_method"],
                    )
                    # Confirmed by this request (read under the order's lock), or
                    # updated: a double-clicked Confirm sends one of each, not two.
                    updated = confirmed.confirmed_at != now
                    transaction.on_commit(
                        lambda: emails.send_order_confirmation(
                            order_id=confirmed.pk, updated=updated
                        )
                    )
            except basket_service.BasketError as refusal:
                form.add_error(None, refusal.message)
                status = 422
            else:
                return payment_views.after_confirm(request, confirmed)
        else:
            status = 422
    return render(
        request,
        "baskets/checkout.html",
        {
            "window": window,
            "basket": basket,
            "form": form,
            "points": [(point, slots.get(point.pk, [])) for point in points],
            # Full slots cannot be chosen (the customer's own slot stays choosable).
            "full_slots": {pk for pk, free in room.items() if free <= 0},
            "card_enabled": "card" in methods,
            "credit_balance": credit_balance(request.user.pk),
        },
        status=status,
    )


def _own_order(request: AuthenticatedHttpRequest, order_id: int) -> Order:
    order = (
        Order.objects.filter(pk=order_id, customer=request.user)
        .select_related("window", "pickup_point", "pickup_slot")
        .first()
    )
    if order is None:
        raise Http404
    return order


@login_required
@require_safe
def order_detail(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    basket = selectors.basket_of(customer_id=request.user.pk, window=order.window)
    return render(
        request,
        "baskets/order.html",
        {
            "order": order,
            "basket": basket,
            "editable": order.window.accepts_orders() and order.status in basket_service.EDITABLE,
            "point_closure": PointClosure.objects.filter(
                window_id=order.window_id, pickup_point_id=order.pickup_point_id
            ).first()
            if order.pickup_point_id and order.status == Order.Status.CONFIRMED
            else None,
            "pay": payment_state(order) if order.status != Order.Status.BASKET else None,
            "card_enabled": gateway.enabled(),
            "receipts": list(order.receipts.exclude(pdf="").order_by("number")),
            "credit_balance": credit_balance(request.user.pk),
        },
    )


@login_required
@require_safe
def order_receipt(request: AuthenticatedHttpRequest, order_id: int, number: int) -> FileResponse:
    """A receipt (or credit note) of the customer's own order, as a PDF."""
    order = _own_order(request, order_id)
    return receipt_views.receipt_file(get_object_or_404(Receipt, order=order, number=number))


@login_required
def order_cancel(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """GET asks to confirm (what is cancelled, what happens to the money); POST cancels
    and emails the customer."""
    order = _own_order(request, order_id)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method != "POST":
        if order.status != Order.Status.CONFIRMED or not order.window.accepts_orders():
            return redirect("baskets:order", order_id=order.pk)
        basket = selectors.basket_of(customer_id=request.user.pk, window=order.window)
        return render(
            request,
            "baskets/order_cancel.html",
            {"order": order, "basket": basket, "pay": payment_state(order)},
        )
    try:
        with transaction.atomic():
            basket_service.order_cancel(
                customer_id=request.user.pk, window_id=order.window_id, now=timezone.now()
            )
            transaction.on_commit(lambda: emails.send_order_cancelled(order_id=order.pk))
    except basket_service.BasketError as refusal:
        messages.error(request, refusal.message)
        return redirect("baskets:order", order_id=order.pk)
    payment_views.release_after_cancel(order.pk)
    messages.success(request, _("Your order is cancelled; its products are back on sale."))
    return redirect("baskets:my_orders")


@require_POST
@login_required
def basket_repeat(request: AuthenticatedHttpRequest) -> HttpResponse:
    window = market.current_window()
    if window is None:
        messages.error(request, _("Ordering is closed for now."))
        return redirect("baskets:my_orders")
    try:
        report = basket_service.basket_repeat_last(
            customer_id=request.user.pk, window=window, now=timezone.now()
        )
    except basket_service.BasketError as refusal:
        messages.error(request, refusal.message)
        return redirect("baskets:my_orders")
    if report.added:
        messages.success(
            request,
            _("Added from your last order: %(items)s.") % {"items": ", ".join(report.added)},
        )
    if report.partly:
        messages.warning(
            request,
            _("Fewer units than last time (no more left): %(items)s.")
            % {"items": ", ".join(report.partly)},
        )
    if report.unavailable:
        messages.warning(
            request,
            _("Not available this week: %(items)s.") % {"items": ", ".join(report.unavailable)},
        )
    return redirect("baskets:shop")


@require_safe
def farm(request: HttpRequest, slug: str) -> HttpResponse:
    """A farm's public page: who they are, and what they offer in the open window."""
    farm = get_object_or_404(
        Farm.objects.prefetch_related("certifications"), slug=slug, is_active=True
    )
    window = market.current_window()
    offers = (
        Offer.objects.filter(window=window, product__farm=farm, quantity__gt=0)
        .select_related("product")
        .order_by("product__category", "product__name")
        if window
        else Offer.objects.none()
    )
    products = farm.products.filter(is_active=True).order_by("category", "name")
    return render(
        request,
        "baskets/farm.html",
        {"farm": farm, "window": window, "offers": offers, "products": products},
    )


@login_required
@require_safe
def my_orders(request: AuthenticatedHttpRequest) -> HttpResponse:
    window = market.current_window()
    return render(
        request,
        "baskets/my_orders.html",
        {
            "orders": selectors.orders_with_totals(customer_id=request.user.pk),
            "window": window,
            "can_repeat": selectors.has_order_to_repeat(customer_id=request.user.pk, window=window),
            "languages": settings.LANGUAGES,
            "credit_balance": credit_balance(request.user.pk),
            "organisations": organisations_of(request.user),
        },
    )
