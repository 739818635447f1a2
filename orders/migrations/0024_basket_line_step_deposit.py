"""`coop_basket_line_step` (migration 0020) again, a new line now taking its product's
deposit per container, as the Python path does (#17: returnable containers)."""

from importlib import import_module

from django.db import migrations

OLD = import_module("orders.migrations.0020_basket_line_step_weighed")

CREATE = (
    OLD.CREATE.replace(
        "    v_estimate numeric;\n",
        "    v_estimate numeric;\n    v_deposit numeric;\n",
    )
    .replace(
        "SELECT f.window_id, p.name, p.tax_class, p.estimated_weight\n"
        "      INTO r_window, r_product, v_tax, v_estimate\n",
        "SELECT f.window_id, p.name, p.tax_class, p.estimated_weight, p.deposit\n"
        "      INTO r_window, r_product, v_tax, v_estimate, v_deposit\n",
    )
    .replace(
        "             unit_weight_estimate)\n"
        "        VALUES (r_order, p_offer, r_granted, v_price, v_tax, 0, v_estimate);",
        "             unit_weight_estimate, deposit)\n"
        "        VALUES (r_order, p_offer, r_granted, v_price, v_tax, 0, v_estimate, v_deposit);",
    )
)
assert CREATE.count("v_deposit") == 3, "0020's text changed: write the function out here"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def back(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD.CREATE)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0023_store_credit_and_deposits"),
        ("farms", "0008_product_deposit"),
    ]

    operations = [migrations.RunPython(create, back)]
