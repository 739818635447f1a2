"""Settlements in the admin, read-only: they are written by settling, never by hand."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import FarmStatement, Settlement, WriteOff


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ("window", "settled_at", "money_in", "gross", "margin", "tps", "tvq", "net_due")
    list_select_related = ("window",)


@admin.register(FarmStatement)
class FarmStatementAdmin(ReadOnlyAdmin):
    list_display = ("farm", "settlement", "gross", "margin", "net_due", "paid_on")
    list_filter = ("settlement__window",)
    list_select_related = ("farm", "settlement__window")
    search_fields = ("farm__name", "payout_reference")


@admin.register(WriteOff)
class WriteOffAdmin(ReadOnlyAdmin):
    list_display = ("order", "amount", "reason", "written_off_by", "written_off_at")
    list_select_related = ("order", "written_off_by")
