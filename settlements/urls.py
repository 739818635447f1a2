from django.urls import path

from . import views

app_name = "settlements"
urlpatterns = [
    path(
        "coordinator/windows/<int:window_id>/settlement/",
        views.window_settlement,
        name="window",
    ),
    path("coordinator/windows/<int:window_id>/settle/", views.settle, name="settle"),
    path("coordinator/windows/<int:window_id>/payouts.csv", views.payouts_csv, name="payouts_csv"),
    path("coordinator/orders/<int:order_id>/write-off/", views.write_off, name="write_off"),
    path("coordinator/statements/<int:statement_id>/paid/", views.payout_paid, name="payout_paid"),
    path("coordinator/reports/", views.reports, name="reports"),
    path("coordinator/margins/", views.margins, name="margins"),
    path("coordinator/reports/sales.csv", views.reports_csv, name="reports_csv"),
    path("portal/<slug:farm_slug>/statements/", views.farm_statements, name="farm_statements"),
    path(
        "portal/<slug:farm_slug>/statements/<int:statement_id>.<str:fmt>",
        views.farm_statement_file,
        name="farm_statement",
    ),
]
