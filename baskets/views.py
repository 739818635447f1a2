from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import AuthenticatedHttpRequest
from farms.models import Category
from farms.selectors import farm_directory
from orders import selectors as market
from orders.models import Offer, Order


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "baskets/home.html",
        {
            "current": market.current_window(now=now),
            "upcoming": market.next_window(now=now),
            "farms": farm_directory()[:12],
            "farm_count": farm_directory().count(),
        },
    )


def shop(request: HttpRequest) -> HttpResponse:
    """The offers of the open window, by category. Composing a basket comes with it."""
    now = timezone.now()
    window = market.current_window(now=now)
    groups: list[tuple[str, list[Offer]]] = []
    if window is not None:
        offers = (
            Offer.objects.filter(window=window, quantity__gt=0)
            .select_related("product__farm")
            .order_by("product__category", "product__name")
        )
        labels = dict(Category.choices)
        groups = [
            (labels.get(category, category), list(items))
            for category, items in groupby(offers, key=lambda o: o.product.category)
        ]
    return render(
        request,
        "baskets/shop.html",
        {"window": window, "upcoming": market.next_window(now=now), "groups": groups},
    )


@login_required
def my_orders(request: AuthenticatedHttpRequest) -> HttpResponse:
    orders = (
        Order.objects.filter(customer=request.user)
        .select_related("window", "pickup_point")
        .order_by("-window__pickup_date")
    )
    return render(request, "baskets/my_orders.html", {"orders": orders})
