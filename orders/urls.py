from django.urls import path

from .views import coordinator, points, stock

app_name = "orders"
urlpatterns = [
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
    path("coordinator/points/", points.point_list, name="points"),
    path("coordinator/points/new/", points.point_create, name="point_create"),
    path("coordinator/points/<int:point_id>/edit/", points.point_edit, name="point_edit"),
    path("coordinator/points/<int:point_id>/slots/", points.point_slots, name="point_slots"),
    path(
        "coordinator/points/<int:point_id>/weeks/<int:window_id>/slots/",
        points.point_week_slots,
        name="point_week_slots",
    ),
    path(
        "coordinator/points/<int:point_id>/weeks/<int:window_id>/copy/",
        points.point_week_copy,
        name="point_week_copy",
    ),
    path(
        "coordinator/points/<int:point_id>/weeks/<int:window_id>/reopen/",
        points.point_reopen,
        name="point_reopen",
    ),
    path("coordinator/slots/<int:slot_id>/edit/", points.slot_edit, name="slot_edit"),
    path("coordinator/slots/<int:slot_id>/delete/", points.slot_delete, name="slot_delete"),
    path("coordinator/points/weeks/<int:window_id>/", points.week, name="points_week"),
    path(
        "coordinator/points/weeks/<int:window_id>/close/",
        points.point_close,
        name="point_close",
    ),
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
]
