from django.urls import path

from . import email_views, views

app_name = "accounts"
urlpatterns = [
    path("my/name/", views.names, name="names"),
    path("my/emails/", email_views.email_preferences, name="email_preferences"),
    path("emails/unsubscribe/<str:token>/", email_views.unsubscribe, name="unsubscribe"),
]
