from django.urls import path

from . import (
    announcement_views,
    counter_views,
    credit_views,
    payment_views,
    privacy_views,
    standing_views,
    views,
    week_basket_views,
)

app_name = "baskets"
urlpatterns = [
    path("", views.home, name="home"),
    path("shop/", views.shop, name="shop"),
    path("farms/<slug:slug>/", views.farm, name="farm"),
    path("basket/", views.basket_page, name="basket"),
    path("basket/lines/<int:offer_id>/", views.line_update, name="line_update"),
    path("basket/repeat/", views.basket_repeat, name="repeat"),
    path("basket/keep/", views.basket_keep, name="keep"),
    path("checkout/", views.checkout, name="checkout"),
    path("my/orders/", views.my_orders, name="my_orders"),
    path("my/credit/", credit_views.my_credit, name="my_credit"),
    path("my/orders/<int:order_id>/", views.order_detail, name="order"),
    path("my/orders/<int:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    path(
        "my/orders/<int:order_id>/receipts/<int:number>/",
        views.order_receipt,
        name="order_receipt",
    ),
    path("my/orders/<int:order_id>/pay/", payment_views.order_pay, name="order_pay"),
    path("my/orders/<int:order_id>/paid/", payment_views.order_paid, name="order_paid"),
    path(
        "coordinator/windows/<int:window_id>/phone-order/",
        counter_views.phone_order_find,
        name="coordinator_phone_order_find",
    ),
    path(
        "coordinator/windows/<int:window_id>/phone-order/<int:user_id>/",
        counter_views.phone_order,
        name="coordinator_phone_order",
    ),
    path(
        "basket/week-baskets/<int:basket_id>/",
        week_basket_views.week_basket_take,
        name="week_basket_take",
    ),
    path(
        "coordinator/windows/<int:window_id>/week-baskets/",
        week_basket_views.coordinator_week_baskets,
        name="coordinator_week_baskets",
    ),
    path(
        "coordinator/week-baskets/<int:basket_id>/",
        week_basket_views.coordinator_week_basket,
        name="coordinator_week_basket",
    ),
    path(
        "coordinator/windows/<int:window_id>/announcements/",
        announcement_views.coordinator_announcements,
        name="coordinator_announcements",
    ),
    path("my/usual/", standing_views.standing_page, name="standing"),
    path(
        "my/usual/weeks/<int:window_id>/skip/", standing_views.standing_skip, name="standing_skip"
    ),
    path("my/usual/status/", standing_views.standing_status, name="standing_status"),
    path("usual/week/<str:token>/", standing_views.standing_week, name="standing_week"),
    path("privacy/", privacy_views.privacy_page, name="privacy"),
    path("my/data/", privacy_views.my_data, name="my_data"),
    path("my/data/export.json", privacy_views.my_data_json, name="my_data_json"),
    path("my/data/export.zip", privacy_views.my_data_zip, name="my_data_zip"),
    path("my/data/erase/", privacy_views.account_erase, name="account_erase"),
]
