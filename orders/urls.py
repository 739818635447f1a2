from django.urls import path

from .views import coordinator, payments, stock

app_name = "orders"
urlpatterns = [
    path("coordinator/", coordinator.dashboard, name="coordinator"),
    path("coordinator/schedule/", coordinator.schedule, name="coordinator_schedule"),
    path(
        "coordinator/windows/<int:window_id>/edit/",
        coordinator.window_edit,
        name="coordinator_window_edit",
    ),
    path(
        "coordinator/windows/<int:window_id>/cancel/",
        coordinator.window_cancel,
        name="coordinator_window_cancel",
    ),
    path(
        "coordinator/windows/<int:window_id>/", coordinator.window_detail, name="coordinator_window"
    ),
    path(
        "coordinator/windows/<int:window_id>/progress/",
        coordinator.window_progress,
        name="coordinator_progress",
    ),
    path(
        "coordinator/windows/<int:window_id>/close/",
        coordinator.window_close_now,
        name="coordinator_close",
    ),
    path(
        "coordinator/windows/<int:window_id>/shortage/",
        coordinator.shortage,
        name="coordinator_shortage",
    ),
    path(
        "coordinator/documents/<int:document_id>.<str:fmt>",
        coordinator.document_download,
        name="coordinator_document",
    ),
    path(
        "coordinator/orders/<int:order_id>/pickup/",
        coordinator.order_pickup,
        name="coordinator_pickup",
    ),
    path("coordinator/orders/<int:order_id>/cash/", payments.order_cash, name="coordinator_cash"),
    path(
        "coordinator/orders/<int:order_id>/cancel/",
        payments.order_cancel_refund,
        name="coordinator_cancel_order",
    ),
    path(
        "coordinator/orders/<int:order_id>/refund-by-hand/",
        payments.order_refund_by_hand,
        name="coordinator_refund_by_hand",
    ),
    path("stripe/webhook/", payments.stripe_webhook, name="stripe_webhook"),
    path("portal/<slug:farm_slug>/", stock.farm_home, name="farm_home"),
    path("portal/<slug:farm_slug>/weeks/<int:window_id>/", stock.grid, name="stock_grid"),
    path(
        "portal/<slug:farm_slug>/weeks/<int:window_id>/counts/",
        stock.grid_counts,
        name="stock_counts",
    ),
    path(
        "portal/<slug:farm_slug>/weeks/<int:window_id>/stock.csv",
        stock.grid_csv,
        name="stock_csv",
    ),
    path(
        "portal/<slug:farm_slug>/weeks/<int:window_id>/upload/",
        stock.grid_upload,
        name="stock_upload",
    ),
    path(
        "portal/<slug:farm_slug>/weeks/<int:window_id>/pickup-list.<str:fmt>",
        stock.pickup_list,
        name="farm_pickup_list",
    ),
]
