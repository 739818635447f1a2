from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.roles import AuthenticatedHttpRequest, farmer_required

from . import selectors
from .models import Farm, Region


def directory(request: HttpRequest) -> HttpResponse:
    region = request.GET.get("region", "")
    if region not in Region.values:
        region = ""
    farms = selectors.farm_directory(region=region)
    return render(
        request,
        "farms/directory.html",
        {"farms": farms, "regions": Region.choices, "region": region},
    )


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    farm = get_object_or_404(
        Farm.objects.prefetch_related("certifications"), slug=slug, is_active=True
    )
    products = farm.products.filter(is_active=True).order_by("category", "name")
    return render(request, "farms/detail.html", {"farm": farm, "products": products})


@farmer_required
def portal(request: AuthenticatedHttpRequest) -> HttpResponse:
    farms = selectors.farms_of_member(user_id=request.user.pk)
    return render(request, "farms/portal.html", {"farms": farms})
