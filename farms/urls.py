from django.urls import path

from . import views

app_name = "farms"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("portal/", views.portal, name="portal"),
    path("<slug:slug>/", views.detail, name="detail"),
]
