from django.urls import path

from . import backoffice, people, views

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
    # The owners' pages of the portal (404 to the farm's staff).
    path("portal/<slug:farm_slug>/people/", people.people, name="people"),
    path(
        "portal/<slug:farm_slug>/people/<int:member_id>/remove/",
        people.member_remove,
        name="member_remove",
    ),
    path("portal/<slug:farm_slug>/payout/", people.payout, name="payout"),
    # An invitation's link: public, the signed token is the key.
    path("invitation/<str:token>/", people.invitation, name="invitation"),
    # The coordinators' back office.
    path("coordinator/farms/", backoffice.farm_list, name="coordinator_farms"),
    path("coordinator/farms/new/", backoffice.farm_create, name="coordinator_farm_create"),
    path("coordinator/farms/<slug:farm_slug>/", backoffice.farm_detail, name="coordinator_farm"),
    path(
        "coordinator/farms/<slug:farm_slug>/status/",
        backoffice.farm_status,
        name="coordinator_farm_status",
    ),
]
