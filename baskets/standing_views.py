"""The customer's usual basket: save it (from this week's basket or by editing it), skip
a week, pause, resume or stop; and the signed link of the review email, which skips a
week without logging in."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import AuthenticatedHttpRequest
from orders import basket as basket_service
from orders.models import Order, OrderLine, OrderWindow
from orders.services import payment_methods_offered

from . import selectors, standing, standing_emails
from .forms import StandingForm, StandingStatusForm
from .models import StandingBasket, StandingWeek


def _lines(request: HttpRequest) -> list[tuple[int, int]]:
    """The `q-<product id>` fields: whole numbers from 0 (removes) to the maximum."""
    lines = []
    for key in request.POST:
        if not key.startswith("q-"):
            continue
        try:
            product_id, quantity = int(key[2:]), int(request.POST.get(key, "").strip() or "0")
        except ValueError:
            raise basket_service.BasketError(_("Enter a whole number of units.")) from None
        if not 0 <= quantity <= basket_service.MAX_UNITS_PER_LINE:
            raise basket_service.BasketError(
                _("At most %(max)d units per product.") % {"max": basket_service.MAX_UNITS_PER_LINE}
            )
        lines.append((product_id, quantity))
    return lines


@login_required
def standing_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    page = selectors.standing_page(
        customer_id=request.user.pk, now=now, use_basket=request.GET.get("from") == "basket"
    )
    current = page.standing
    methods = payment_methods_offered()
    initial = {
        "pickup_point": current.pickup_point_id if current else None,
        "pickup_slot": current.pickup_slot_id if current else None,
        "payment_method": current.payment_method if current else methods[0],
        "allow_substitutes": current.allow_substitutes if current else False,
        "language": current.language
        if current
        else (get_language() if get_language() in dict(settings.LANGUAGES) else "fr-ca"),
    }
    form = StandingForm(request.POST or None, methods=methods, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                standing.standing_save(
                    customer_id=request.user.pk,
                    lines=_lines(request),
                    pickup_point_id=form.cleaned_data["pickup_point"].pk,
                    pickup_slot_id=form.cleaned_data["pickup_slot"],
                    payment_method=form.cleaned_data["payment_method"],
                    allow_substitutes=form.cleaned_data["allow_substitutes"],
                    language=form.cleaned_data["language"],
                )
            except basket_service.BasketError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request,
                    _(
                        "Your usual basket is saved: it is filled for you each week when "
                        "ordering opens, and you review it before it is confirmed."
                    ),
                )
                return redirect("baskets:standing")
        status = 422
    return render(
        request,
        "baskets/standing.html",
        {"page": page, "form": form, "status_form": StandingStatusForm()},
        status=status,
    )


@require_POST
@login_required
def standing_skip(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = OrderWindow.objects.filter(pk=window_id).first()
    if window is None:
        messages.error(request, _("This week is closed for orders."))
        return redirect("baskets:standing")
    try:
        if request.POST.get("undo"):
            standing.standing_unskip(
                customer_id=request.user.pk, window_id=window.pk, now=timezone.now()
            )
            messages.success(request, _("Your usual basket is back for this week."))
        else:
            standing.standing_skip(
                customer_id=request.user.pk, window_id=window.pk, now=timezone.now()
            )
            _skipped(request, customer_id=request.user.pk, window_id=window.pk)
    except basket_service.BasketError as refusal:
        messages.error(request, refusal.message)
    return redirect("baskets:standing")


@require_POST
@login_required
def standing_status(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StandingStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a date."))
        return redirect("baskets:standing")
    action = form.cleaned_data["action"]
    try:
        if action == "pause":
            standing.standing_pause(
                customer_id=request.user.pk,
                until=form.cleaned_data["until"],
                today=timezone.localdate(),
            )
            messages.success(request, _("Your usual basket is paused."))
        elif action == "resume":
            standing.standing_resume(customer_id=request.user.pk)
            messages.success(request, _("Your usual basket is active again."))
        else:
            standing.standing_stop(customer_id=request.user.pk)
            messages.success(request, _("Your usual basket is stopped."))
    except basket_service.BasketError as refusal:
        messages.error(request, refusal.message)
    return redirect("baskets:standing")


def standing_week(request: HttpRequest, token: str) -> HttpResponse:
    """The review email's link: this week's usual basket, a button to skip it and, once
    skipped, one to take it back. The signed token is the customer's authority for this
    one week, no login needed."""
    try:
        standing_id, window_id = standing_emails.week_from_token(token)
    except signing.SignatureExpired:
        return render(request, "baskets/standing_week_bad.html", {"expired": True}, status=410)
    except signing.BadSignature:
        return render(request, "baskets/standing_week_bad.html", {"expired": False}, status=400)
    week = (
        StandingWeek.objects.filter(standing_id=standing_id, window_id=window_id)
        .select_related("standing__customer", "window", "standing__pickup_point")
        .first()
    )
    if week is None:  # taken back after a skip, and not filled again yet
        usual = (
            StandingBasket.objects.filter(pk=standing_id)
            .select_related("customer", "pickup_point")
            .first()
        )
        window = OrderWindow.objects.filter(pk=window_id).first()
        if usual is None or window is None:
            return render(request, "baskets/standing_week_bad.html", {"expired": False}, status=404)
        week = StandingWeek(standing=usual, window=window, status=StandingWeek.Status.FILLING)
    if request.method == "POST" and request.POST.get("action") == "unskip":
        return _week_unskip(request, week, token=token)
    status = 200
    if request.method == "POST":
        try:
            week = standing.standing_skip(
                customer_id=week.standing.customer_id, window_id=week.window_id, now=timezone.now()
            )
        except basket_service.BasketError as refusal:
            messages.error(request, refusal.message)
            status = 409
        else:
            _skipped(request, customer_id=week.standing.customer_id, window_id=week.window_id)
            return redirect("baskets:standing_week", token=token)
    return _week_page(request, week, status=status)


def _skipped(request: HttpRequest, *, customer_id: int, window_id: int) -> None:
    messages.success(request, _("Skipped: no usual basket this week."))
    kept = OrderLine.objects.filter(
        order__customer_id=customer_id,
        order__window_id=window_id,
        order__status=Order.Status.BASKET,
    ).exists()
    if kept:
        messages.info(
            request,
            _(
                "What you added to your basket yourself is still there: confirm it to order "
                "it, or remove it."
            ),
        )


def _week_unskip(request: HttpRequest, week: StandingWeek, *, token: str) -> HttpResponse:
    """Take a skipped week back: the next tick fills it (a new review email follows)."""
    if week.status != StandingWeek.Status.SKIPPED:
        return redirect("baskets:standing_week", token=token)  # nothing to take back
    try:
        standing.standing_unskip(
            customer_id=week.standing.customer_id, window_id=week.window_id, now=timezone.now()
        )
    except basket_service.BasketError as refusal:
        messages.error(request, refusal.message)
        return _week_page(request, week, status=409)
    messages.success(request, _("Your usual basket is back for this week."))
    return redirect("baskets:standing_week", token=token)


def _week_page(request: HttpRequest, week: StandingWeek, *, status: int) -> HttpResponse:
    window, now = week.window, timezone.now()
    orders_open = (
        window.status in (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN)
        and now < window.closes_at
    )
    context = {
        "week": week,
        "basket": selectors.basket_of(customer_id=week.standing.customer_id, window=window),
        "confirm_at": standing.confirm_time(window),
        "can_unskip": orders_open and week.status == StandingWeek.Status.SKIPPED,
        "unskipped": week.pk is None,
        "fills": standing.fills_in(week.standing, window),
        "fills_now": now >= window.opens_at,
    }
    return render(request, "baskets/standing_week.html", context, status=status)
