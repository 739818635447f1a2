"""`coop_basket_line_step` (migration 0018) again, a new line now taking its product's
estimated weight per unit, as the Python path does (#17: products sold by weight)."""

from importlib import import_module

from django.db import migrations

OLD = import_module("orders.migrations.0018_basket_line_step")

CREATE = (
    OLD.CREATE.replace(
        "    v_price numeric;\n",
        "    v_price numeric;\n    v_estimate numeric;\n",
    )
    .replace(
        "SELECT f.window_id, p.name, p.tax_class INTO r_window, r_product, v_tax\n",
        "SELECT f.window_id, p.name, p.tax_class, p.estimated_weight\n"
        "      INTO r_window, r_product, v_tax, v_estimate\n",
    )
    .replace(
        "INSERT INTO orders_orderline (order_id, offer_id, quantity, unit_price, tax_class, shortage)\n"
        "        VALUES (r_order, p_offer, r_granted, v_price, v_tax, 0);",
        "INSERT INTO orders_orderline\n"
        "            (order_id, offer_id, quantity, unit_price, tax_class, shortage,\n"
        "             unit_weight_estimate)\n"
        "        VALUES (r_order, p_offer, r_granted, v_price, v_tax, 0, v_estimate);",
    )
)
assert CREATE.count("v_estimate") == 3, "0018's text changed: write the function out here"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def back(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD.CREATE)


class Migration(migrations.Migration):
    dependencies = [("orders", "0019_weighed_products"), ("farms", "0007_weighed_products")]

    operations = [migrations.RunPython(create, back)]
