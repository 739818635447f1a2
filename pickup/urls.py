from django.urls import path

from . import (
    backoffice_views,
    counter_views,
    people_views,
    receipt_views,
    views,
    weighing_views,
)

app_name = "pickup"
urlpatterns = [
    path("coordinator/", views.dashboard, name="coordinator"),
    path("coordinator/windows/<int:window_id>/", views.window_detail, name="coordinator_window"),
    path(
        "coordinator/windows/<int:window_id>/progress/",
        views.window_progress,
        name="coordinator_progress",
    ),
    path(
        "coordinator/windows/<int:window_id>/close/",
        views.window_close_now,
        name="coordinator_close",
    ),
    path(
        "coordinator/windows/<int:window_id>/shortage/",
        views.shortage,
        name="coordinator_shortage",
    ),
    path(
        "coordinator/windows/<int:window_id>/weigh/",
        weighing_views.coordinator_weigh,
        name="coordinator_weigh",
    ),
    path(
        "coordinator/documents/<int:document_id>.<str:fmt>",
        views.document_download,
        name="coordinator_document",
    ),
    path(
        "coordinator/windows/<int:window_id>/walk-in/",
        counter_views.walk_in,
        name="coordinator_walk_in",
    ),
    path(
        "coordinator/orders/<int:order_id>/pickup/",
        views.order_pickup,
        name="coordinator_pickup",
    ),
    path(
        "coordinator/orders/<int:order_id>/cancel/",
        views.order_cancel_refund,
        name="coordinator_cancel_order",
    ),
    path("coordinator/settings/", backoffice_views.coop_settings, name="coordinator_settings"),
    path("coordinator/people/", people_views.people_list, name="coordinator_people"),
    path(
        "coordinator/people/<int:user_id>/",
        people_views.person_detail,
        name="coordinator_person",
    ),
    path(
        "coordinator/people/<int:user_id>/role/",
        people_views.person_role,
        name="coordinator_person_role",
    ),
    path(
        "coordinator/people/<int:user_id>/credit/",
        people_views.person_credit_add,
        name="coordinator_person_credit",
    ),
    path(
        "coordinator/people/<int:user_id>/containers/",
        people_views.person_containers_return,
        name="coordinator_person_containers",
    ),
    path(
        "coordinator/people/<int:user_id>/active/",
        people_views.person_active,
        name="coordinator_person_active",
    ),
    path(
        "portal/<slug:farm_slug>/weeks/<int:window_id>/pickup-list.<str:fmt>",
        views.farm_pickup_list,
        name="farm_pickup_list",
    ),
    path("farm/windows/<int:window_id>/weigh/", weighing_views.farm_weigh, name="farm_weigh"),
    path(
        "coordinator/receipts/<int:number>/",
        receipt_views.receipt_download,
        name="coordinator_receipt",
    ),
    path(
        "coordinator/receipts/<int:number>/reissue/",
        receipt_views.receipt_reissue,
        name="coordinator_receipt_reissue",
    ),
    path(
        "coordinator/receipts/<int:number>/credit-note/",
        receipt_views.credit_note_create,
        name="coordinator_credit_note",
    ),
]
