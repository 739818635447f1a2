"""The money rule: exact Decimal lines, taxes once on the taxable subtotal."""

from decimal import Decimal

from orders.pricing import line_amount, to_cents, totals


def test_zero_rated_lines_carry_no_tax() -> None:
    t = totals([(Decimal("3.50"), 2, "zero"), (Decimal("6.00"), 1, "zero")])
    assert (t.subtotal, t.tps, t.tvq, t.total, t.items) == (
        Decimal("13.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("13.00"),
        3,
    )


def test_taxes_apply_once_to_the_taxable_subtotal_rounded_half_up() -> None:
    # 3 × 4.99 = 14.97 taxable: TPS 0.7485 → 0.75, TVQ 1.49325… → 1.49
    t = totals([(Decimal("4.99"), 3, "taxable"), (Decimal("2.00"), 1, "zero")])
    assert t.taxable == Decimal("14.97")
    assert (t.tps, t.tvq) == (Decimal("0.75"), Decimal("1.49"))
    assert t.total == Decimal("19.21")


def test_splitting_a_basket_into_lines_never_adds_tax() -> None:
    one = totals([(Decimal("0.33"), 3, "taxable")])
    three = totals([(Decimal("0.33"), 1, "taxable")] * 3)
    assert one.tps + one.tvq == three.tps + three.tvq


def test_cents_only_at_the_stripe_boundary() -> None:
    assert to_cents(Decimal("18.21")) == 1821
    assert to_cents(Decimal("0.005")) == 1
    assert line_amount(unit_price=Decimal("4.995"), quantity=1) == Decimal("5.00")
