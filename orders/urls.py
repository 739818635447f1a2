from django.urls import path

from .views import coordinator, stock

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
