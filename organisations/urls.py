from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("coordinator/organisations/", views.organisation_list, name="coordinator_organisations"),
    path(
        "coordinator/organisations/new/",
        views.organisation_create,
        name="coordinator_organisation_create",
    ),
    path(
        "coordinator/organisations/<slug:slug>/edit/",
        views.organisation_edit,
        name="coordinator_organisation_edit",
    ),
    path("org/<slug:slug>/", views.organisation_page, name="page"),
    path(
        "org/<slug:slug>/people/<int:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    # An invitation's link: public, the signed token is the key.
    path("org/invitation/<str:token>/", views.invitation, name="invitation"),
]
