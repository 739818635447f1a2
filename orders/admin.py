from django.contrib import admin

from .models import (
    CoopSettings,
    Offer,
    Order,
    OrderLine,
    OrderWindow,
    Payment,
    PickupPoint,
    PickupSlot,
)


@admin.register(OrderWindow)
class OrderWindowAdmin(admin.ModelAdmin):
    list_display = ("__str__", "opens_at", "closes_at", "pickup_date", "status")
    list_filter = ("status",)
    date_hierarchy = "opens_at"


class PickupSlotInline(admin.TabularInline):
    model = PickupSlot
    extra = 0


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "opens_at", "closes_at", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (PickupSlotInline,)


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("product", "window", "quantity", "remaining", "price")
    list_filter = ("window",)
    list_select_related = ("product__farm", "window")
    search_fields = ("product__name", "product__farm__name")
    raw_id_fields = ("product",)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("offer",)


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("pk", "customer", "window", "status", "pickup_point", "confirmed_at")
    list_filter = ("status", "window", "pickup_point")
    list_select_related = ("customer", "window", "pickup_point")
    search_fields = ("customer__email", "customer__last_name")
    raw_id_fields = ("customer",)
    inlines = (OrderLineInline, PaymentInline)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "method",
        "status",
        "amount_authorized",
        "amount_captured",
        "amount_refunded",
    )
    list_filter = ("method", "status")
    raw_id_fields = ("order",)


@admin.register(CoopSettings)
class CoopSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not CoopSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
