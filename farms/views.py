from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from accounts.roles import AuthenticatedHttpRequest, farmer_required

from . import selectors, services
from .access import managed_farm, managed_farms, portal_context
from .errors import ProductAlreadyExists
from .forms import FarmProfileForm, ProductForm
from .models import Farm, Product, Region


@require_safe
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


@farmer_required
@require_safe
def portal(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The portal's door: the farm asked for (the switch), else the user's first farm."""
    if slug := request.GET.get("farm"):
        farm = managed_farm(request.user, slug)
    else:
        farms = managed_farms(request.user)
        if not farms:
            return render(request, "farms/portal_empty.html")
        farm = farms[0]
    return redirect("orders:farm_home", farm_slug=farm.slug)


# The farmer portal: the farm's profile and catalogue. Each page answers 404 to anyone
# who may not manage the farm (farms.access); a refused form comes back with status 422.


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    if request.method == "POST":
        # The form works on a copy: a refused edit must not show in the page's header.
        form = FarmProfileForm(request.POST, request.FILES, instance=copy(farm))
        if form.is_valid():
            services.farm_update_profile(
                farm=farm,
                data=form.profile_data(),
                certifications=form.cleaned_data["certifications"],
                photo=form.new_photo,
                remove_photo=form.photo_removed,
            )
            messages.success(request, _("Profile saved."))
            return redirect("farms:profile", farm_slug=farm.slug)
    else:
        form = FarmProfileForm(instance=farm)
    return render(
        request,
        "farms/profile.html",
        {**portal_context(request.user, farm, "profile"), "form": form},
        status=422 if form.is_bound else 200,
    )


@require_GET
@login_required
def products(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    sections = selectors.farm_catalogue(farm=farm)
    all_products = [p for section in sections for p in section.products]
    return render(
        request,
        "farms/products.html",
        {
            **portal_context(request.user, farm, "products"),
            "sections": sections,
            "product_count": len(all_products),
            "inactive_count": sum(1 for p in all_products if not p.is_active),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def product_create(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    if request.method == "POST":
        form = ProductForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                product = services.product_create(
                    farm=farm, data=form.product_data(), photo=form.new_photo
                )
            except ProductAlreadyExists as refusal:
                form.add_duplicate_error(refusal.message)
            else:
                messages.success(
                    request, _("Added to your catalogue: %(name)s.") % {"name": product}
                )
                return redirect("farms:products", farm_slug=farm.slug)
    else:
        form = ProductForm()
    return _product_form_page(request, farm, form, product=None)


@require_http_methods(["GET", "POST"])
@login_required
def product_edit(
    request: AuthenticatedHttpRequest, farm_slug: str, product_id: int
) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    product = get_object_or_404(Product, pk=product_id, farm=farm)
    if request.method == "POST":
        form = ProductForm(request.POST, request.FILES, instance=copy(product))
        if form.is_valid():
            try:
                saved = services.product_update(
                    product=product,
                    data=form.product_data(),
                    photo=form.new_photo,
                    remove_photo=form.photo_removed,
                )
            except ProductAlreadyExists as refusal:
                form.add_duplicate_error(refusal.message)
            else:
                messages.success(request, _("Saved: %(name)s.") % {"name": saved})
                return redirect("farms:products", farm_slug=farm.slug)
    else:
        form = ProductForm(instance=product)
    return _product_form_page(request, farm, form, product=product)


def _product_form_page(
    request: AuthenticatedHttpRequest, farm: Farm, form: ProductForm, *, product: Product | None
) -> HttpResponse:
    return render(
        request,
        "farms/product_form.html",
        {**portal_context(request.user, farm, "products"), "form": form, "product": product},
        status=422 if form.is_bound else 200,
    )
