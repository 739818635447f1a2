from django.urls import path

from . import views

app_name = "baskets"
urlpatterns = [
    path("", views.home, name="home"),
    path("shop/", views.shop, name="shop"),
    path("my/orders/", views.my_orders, name="my_orders"),
]
