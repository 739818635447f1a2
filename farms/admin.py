from django.contrib import admin

from .models import Certification, Farm, FarmMember, Product


class FarmMemberInline(admin.TabularInline):
    model = FarmMember
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


@admin.register(Farm)
class FarmAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "town", "is_active", "margin_percent")
    list_filter = ("region", "is_active", "certifications")
    search_fields = ("name", "town")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("certifications",)
    inlines = (FarmMemberInline,)


@admin.register(FarmMember)
class FarmMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "farm", "role")
    list_select_related = ("user", "farm")
    autocomplete_fields = ("user", "farm")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "farm", "category", "unit", "price", "tax_class", "is_active")
    list_filter = ("category", "tax_class", "is_active", "farm")
    list_select_related = ("farm",)
    search_fields = ("name", "farm__name")
