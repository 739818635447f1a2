from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("coordinator/orders/<int:order_id>/cash/", views.order_cash, name="coordinator_cash"),
    path(
        "coordinator/orders/<int:order_id>/refund-by-hand/",
        views.order_refund_by_hand,
        name="coordinator_refund_by_hand",
    ),
    path(
        "coordinator/orders/<int:order_id>/keep-as-credit/",
        views.order_excess_to_credit,
        name="coordinator_excess_to_credit",
    ),
]
