"""The database function `coop_basket_line_step` (PostgreSQL only): one basket change
(+1, −1, a typed quantity, remove) on an order that exists, in one statement.

It is `orders.basket._line_set` written again in PL/pgSQL, so that the commonest
request of the week takes one round trip instead of nine: the same locks in the same
order (the window FOR SHARE, the order FOR UPDATE, then the offer FOR UPDATE), the same
rules (the deadline, at most `p_max` units, never below zero, never more than
remains, a new line at the price read under the offer's lock), the same writes. The
cases it does not handle return outcome 'fallback' before writing anything, and the
Python path does them: no order yet, a cancelled or closed order, and lowering a
confirmed order (the co-op's minimum is checked there). `tests/orders/
test_basket_step.py` runs each case through both and compares.

Outcomes: 'ok', 'no_offer', 'closed', 'negative', 'too_many', 'fallback'.
A change to the function is a new migration with CREATE OR REPLACE.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION coop_basket_line_step(
    p_customer integer,
    p_offer integer,
    p_quantity integer,
    p_delta integer,
    p_now timestamptz,
    p_max integer,
    OUT r_outcome text,
    OUT r_order integer,
    OUT r_window integer,
    OUT r_current integer,
    OUT r_requested integer,
    OUT r_granted integer,
    OUT r_product text
) LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_opens timestamptz;
    v_closes timestamptz;
    v_order_status text;
    v_tax text;
    v_remaining integer;
    v_price numeric;
    v_taken integer;
BEGIN
    SELECT f.window_id, p.name, p.tax_class INTO r_window, r_product, v_tax
      FROM orders_offer f JOIN farms_product p ON p.id = f.product_id
     WHERE f.id = p_offer;
    IF NOT FOUND THEN
        r_outcome := 'no_offer';
        RETURN;
    END IF;
    -- 1. The window, shared: the close's claim waits for this change, or this change
    -- sees CLOSING.
    SELECT w.status, w.opens_at, w.closes_at INTO v_status, v_opens, v_closes
      FROM orders_orderwindow w WHERE w.id = r_window FOR SHARE;
    IF v_status NOT IN ('scheduled', 'open') OR p_now < v_opens OR p_now >= v_closes THEN
        r_outcome := 'closed';
        RETURN;
    END IF;
    -- 2. The order.
    SELECT o.id, o.status INTO r_order, v_order_status
      FROM orders_order o
     WHERE o.window_id = r_window AND o.customer_id = p_customer
       FOR UPDATE;
    IF NOT FOUND OR v_order_status NOT IN ('basket', 'confirmed') THEN
        r_outcome := 'fallback';
        RETURN;
    END IF;
    SELECT l.quantity INTO r_current
      FROM orders_orderline l WHERE l.order_id = r_order AND l.offer_id = p_offer;
    r_current := coalesce(r_current, 0);
    r_requested := coalesce(p_quantity, greatest(0, r_current + coalesce(p_delta, 0)));
    IF r_requested < 0 THEN
        r_outcome := 'negative';
        RETURN;
    END IF;
    IF r_requested > p_max THEN
        r_outcome := 'too_many';
        RETURN;
    END IF;
    IF v_order_status = 'confirmed' AND r_requested < r_current THEN
        r_outcome := 'fallback';
        RETURN;
    END IF;
    -- 3. The offer: take what remains of what is asked, or give back.
    r_granted := r_requested;
    IF r_requested > r_current THEN
        SELECT f.remaining, f.price INTO v_remaining, v_price
          FROM orders_offer f WHERE f.id = p_offer FOR UPDATE;
        v_taken := least(v_remaining, r_requested - r_current);
        r_granted := r_current + v_taken;
        IF v_taken > 0 THEN
            UPDATE orders_offer SET remaining = remaining - v_taken WHERE id = p_offer;
        END IF;
    ELSIF r_requested < r_current THEN
        UPDATE orders_offer SET remaining = remaining + (r_current - r_requested)
         WHERE id = p_offer;
    END IF;
    -- 4. The line.
    IF r_current > 0 AND r_granted = 0 THEN
        DELETE FROM orders_orderline WHERE order_id = r_order AND offer_id = p_offer;
    ELSIF r_current > 0 AND r_granted <> r_current THEN
        UPDATE orders_orderline SET quantity = r_granted
         WHERE order_id = r_order AND offer_id = p_offer;
    ELSIF r_current = 0 AND r_granted > 0 THEN
        INSERT INTO orders_orderline (order_id, offer_id, quantity, unit_price, tax_class, shortage)
        VALUES (r_order, p_offer, r_granted, v_price, v_tax, 0);
    END IF;
    -- 5. The order's activity, and the « updated » email of a confirmed order.
    UPDATE orders_order
       SET last_activity_at = p_now,
           updated_at = p_now,
           update_email_due = CASE
               WHEN status = 'confirmed' AND r_granted <> r_current
               THEN coalesce(update_email_due, p_now)
               ELSE update_email_due
           END
     WHERE id = r_order;
    r_outcome := 'ok';
END;
$$;
"""

DROP = (
    "DROP FUNCTION IF EXISTS coop_basket_line_step("
    "integer, integer, integer, integer, timestamptz, integer);"
)


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_order_update_email")]

    operations = [migrations.RunPython(create, drop)]
