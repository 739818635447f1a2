from django.urls import path

from .views import coordinator

app_name = "orders"
urlpatterns = [
    path("coordinator/", coordinator.dashboard, name="coordinator"),
]
