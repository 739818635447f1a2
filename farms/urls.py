from django.urls import path

from . import views

app_name = "farms"
urlpatterns = [
    path("farms/", views.directory, name="directory"),
    path("portal/", views.portal, name="portal"),
    path("portal/<slug:farm_slug>/profile/", views.profile, name="profile"),
    path("portal/<slug:farm_slug>/products/", views.products, name="products"),
    path("portal/<slug:farm_slug>/products/new/", views.product_create, name="product_create"),
    path(
        "portal/<slug:farm_slug>/products/<int:product_id>/",
        views.product_edit,
        name="product_edit",
    ),
]
