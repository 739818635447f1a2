"""The price per kg or L of a package (farms.measures): sizes in g, kg, ml or L as
farms type them, French decimal commas too, rounded to the cent half up; nothing for
anything else."""

from decimal import Decimal

import pytest

from farms.measures import per_measure


@pytest.mark.parametrize(
    ("price", "label", "expected"),
    [
        ("13.00", "500 g", ("26.00", "kg")),
        ("6.00", "500g", ("12.00", "kg")),
        ("4.00", "100 g", ("40.00", "kg")),
        ("9.00", "1,5 kg", ("6.00", "kg")),
        ("9.00", "1.5 kg", ("6.00", "kg")),
        ("12.00", "2 kg", ("6.00", "kg")),
        ("4.50", "750 ml", ("6.00", "L")),
        ("3.00", "250 mL", ("12.00", "L")),
        ("7.00", "2 L", ("3.50", "L")),
        ("7.00", "2 l", ("3.50", "L")),
        ("2.25", "0,5 L", ("4.50", "L")),
        ("5.00", "2 × 250 ml", ("10.00", "L")),
        ("5.00", "4 x 125 g", ("10.00", "kg")),
        ("6.00", "500\u00a0g", ("12.00", "kg")),  # a no-break space, as a French label has
        ("6.00", "  500 G  ", ("12.00", "kg")),
        # Rounded to the cent, half up: 1.00 / 0.3 = 3.333…, 1.00 / 0.08 = 12.5 exactly.
        ("1.00", "300 g", ("3.33", "kg")),
        ("2.00", "300 g", ("6.67", "kg")),
        ("0.01", "8 g", ("1.25", "kg")),
        ("0.05", "40 g", ("1.25", "kg")),
        ("0.01", "800 g", ("0.01", "kg")),  # 0.0125 rounds half up to 0.01
        ("0.01", "400 g", ("0.03", "kg")),  # 0.025 rounds half up to 0.03
        ("999999.99", "0,001 g", ("999999990000.00", "kg")),
    ],
)
def test_a_package_in_g_kg_ml_or_l_has_a_price_per_kg_or_l(
    price: str, label: str, expected: tuple[str, str]
) -> None:
    result = per_measure(Decimal(price), label)
    assert result == (Decimal(expected[0]), expected[1])
    assert result is not None
    assert result[0].as_tuple().exponent == -2  # money, to the cent


@pytest.mark.parametrize(
    "label",
    [
        "kg",  # sold by the kg already
        "L",
        "g",
        "each",
        "chaque",
        "bunch",
        "botte",
        "dozen",
        "douzaine",
        "sac",
        "6 œufs",
        "12 biscuits",
        "1 kg",  # the price already is the price per kg
        "1000 g",
        "1 L",
        "1000 ml",
        "0 g",
        "0,0 kg",
        "0 × 500 g",
        "abc kg",
        "kg 500",
        "500",
        "500 gr",
        "500 g.",
        "1 litre",
        "-500 g",
        "1,5,0 kg",
        "1 000 g",
        "500 g de fromage",
        "10e3 g",
        "Infinity kg",
        "NaN kg",
        "1" * 40 + " g",  # a huge number
        "9999999 kg",  # more digits than a size has
        "",
        "   ",
    ],
)
def test_anything_else_has_none(label: str) -> None:
    assert per_measure(Decimal("5.00"), label) is None


def test_a_price_that_rounds_to_nothing_per_kg_has_none() -> None:
    assert per_measure(Decimal("0.01"), "999999 kg") is None


@pytest.mark.parametrize(
    "price", [Decimal(0), Decimal("-1.00"), Decimal("NaN"), Decimal("Infinity"), None, 4.5, "4"]
)
def test_a_price_that_is_not_a_price_has_none(price: object) -> None:
    assert per_measure(price, "500 g") is None  # type: ignore[arg-type]


def test_a_price_too_big_to_divide_to_the_cent_has_none() -> None:
    assert per_measure(Decimal("1e30"), "0,001 g") is None
