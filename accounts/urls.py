from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("my/name/", views.names, name="names"),
]
