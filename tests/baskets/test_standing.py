"""Standing baskets (« mon panier habituel », issue #15, part 1): saved, filled when a
week opens from what is on offer (never oversold, in a fair order), reviewed by email,
confirmed at the co-op's time unless skipped; pause, resume, stop."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from baskets import standing, standing_emails, tasks
from baskets.models import StandingBasket, StandingLine, StandingWeek
from orders import basket
from orders.errors import BasketError
from orders.models import CoopSettings, Offer, Order, OrderWindow, PickupSlot
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def market():  # type: ignore[no-untyped-def]
    """A week opening now: carrots (plenty), garlic (3 left), a point with a slot."""
    window = factories.window(opens_at=timezone.now() - timedelta(minutes=5))
    farm = factories.farm(email="ferme@example.org")
    carrots = factories.offer(
        window_=window,
        product_=factories.product(farm_=farm, name="Carottes", price=Decimal("3.50")),
        quantity=100,
    )
    garlic = factories.offer(
        window_=window,
        product_=factories.product(farm_=farm, name="Ail", price=Decimal("2.00")),
        quantity=3,
    )
    point = factories.pickup_point()
    slot = PickupSlot.objects.create(
        pickup_point=point,
        starts_at=time(16),
        ends_at=time(17),
        capacity=50,
    )
    return window, carrots, garlic, point, slot


def _save(customer, market, **changes):  # type: ignore[no-untyped-def]
    _window, carrots, garlic, point, slot = market
    fields = {
        "customer_id": customer.pk,
        "lines": [(carrots.product_id, 2), (garlic.product_id, 2)],
        "pickup_point_id": point.pk,
        "pickup_slot_id": slot.pk,
        "payment_method": "at_pickup",
        "allow_substitutes": False,
        "language": "fr-ca",
        **changes,
    }
    return standing.standing_save(**fields)


def _fill(window: OrderWindow) -> standing.FillReport:
    return standing.standing_fill(window_id=window.pk, now=timezone.now())


def test_saving_refuses_what_cannot_be_kept(market) -> None:
    customer = factories.user()
    with pytest.raises(BasketError, match="at least one product"):
        _save(customer, market, lines=[])
    with pytest.raises(BasketError, match="no longer sold"):
        _save(customer, market, lines=[(999999, 1)])
    with pytest.raises(BasketError, match="time slot"):
        _save(customer, market, pickup_slot_id=999999)
    with pytest.raises(BasketError, match="how you will pay"):
        _save(customer, market, payment_method="bitcoin")
    assert not StandingBasket.objects.exists()
    saved = _save(customer, market)
    assert sorted(saved.lines.values_list("quantity", flat=True)) == [2, 2]


def test_a_week_opening_fills_each_basket_once_never_oversold_and_lists_what_is_missing(
    market,
) -> None:
    window, carrots, garlic, _point, _slot = market
    first, second = factories.user(), factories.user()
    _save(first, market)
    _save(second, market)
    assert _fill(window).filled == 2
    assert _fill(window).filled == 0  # a second tick: nothing twice
    garlic.refresh_from_db()
    assert garlic.remaining == 0  # 3 units for 4 wanted: never more than there is
    weeks = {w.standing.customer_id: w for w in StandingWeek.objects.select_related("standing")}
    got = {
        c.pk: dict(
            Order.objects.get(customer=c, window=window).lines.values_list("offer_id", "quantity")
        )
        for c in (first, second)
    }
    assert sorted(g[garlic.pk] for g in got.values() if garlic.pk in g) in ([1, 2], [2, 1], [1, 2])
    short = next(c for c in (first, second) if got[c.pk].get(garlic.pk, 0) < 2)
    assert weeks[short.pk].missing == [
        {"product": "Ail", "wanted": 2, "got": got[short.pk].get(garlic.pk, 0)}
    ]
    assert all(g[carrots.pk] == 2 for g in got.values())
    assert all(w.status == StandingWeek.Status.FILLED for w in weeks.values())


def test_the_order_of_filling_changes_from_week_to_week() -> None:
    """Fair when stock runs short: over twenty weeks each of two baskets comes first."""
    firsts = {min((1, 2), key=lambda s: standing._fair_order(week, s)) for week in range(20)}
    assert firsts == {1, 2}


def test_a_prepared_basket_is_not_released_when_idle(market) -> None:
    window, carrots, _garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market)
    _fill(window)
    order = Order.objects.get(customer=customer, window=window)
    Order.objects.filter(pk=order.pk).update(last_activity_at=timezone.now() - timedelta(days=1))
    assert basket.basket_release_idle(now=timezone.now()) == 0
    assert order.lines.count() == 2
    Order.objects.filter(pk=order.pk).update(prepared_until=timezone.now() - timedelta(minutes=1))
    assert basket.basket_release_idle(now=timezone.now()) == 1  # past its time: the usual rule


def test_it_is_confirmed_at_the_co_ops_time_with_its_pickup_and_emailed(market) -> None:
    window, _carrots, _garlic, point, slot = market
    customer = factories.user()
    _save(customer, market, payment_method="at_pickup")
    _fill(window)
    assert standing.standing_confirm_due(now=timezone.now()) == []  # not its time yet
    at = standing.confirm_time(window)
    assert at == window.closes_at - timedelta(hours=CoopSettings.load().standing_confirm_hours)
    confirmed = standing.standing_confirm_due(now=at + timedelta(seconds=1))
    order = Order.objects.get(customer=customer, window=window)
    assert confirmed == [order.pk]
    assert (order.status, order.pickup_point_id, order.pickup_slot_id) == (
        Order.Status.CONFIRMED,
        point.pk,
        slot.pk,
    )
    assert order.prepared_until is None
    assert standing.standing_confirm_due(now=at + timedelta(seconds=2)) == []  # once


def test_a_basket_that_cannot_be_confirmed_says_why_and_stays_for_the_customer(market) -> None:
    window, _carrots, _garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market)
    _fill(window)
    CoopSettings.objects.update_or_create(pk=1, defaults={"minimum_order_amount": Decimal("500")})
    at = standing.confirm_time(window) + timedelta(seconds=1)
    assert standing.standing_confirm_due(now=at) == []
    week = StandingWeek.objects.get()
    assert week.status == StandingWeek.Status.NOT_CONFIRMED
    assert "minimum order" in week.problem
    assert Order.objects.get(customer=customer).status == Order.Status.BASKET


def test_skipping_gives_the_units_back_and_a_confirmed_week_cannot_be_skipped(market) -> None:
    window, carrots, _garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market)
    _fill(window)
    standing.standing_skip(customer_id=customer.pk, window_id=window.pk, now=timezone.now())
    assert Order.objects.get(customer=customer).lines.count() == 0
    assert Offer.objects.get(pk=carrots.pk).remaining == 100
    assert StandingWeek.objects.get().status == StandingWeek.Status.SKIPPED
    at = standing.confirm_time(window) + timedelta(seconds=1)
    assert standing.standing_confirm_due(now=at) == []  # a skipped week is not confirmed

    other = factories.user()
    _save(other, market)
    _fill(window)
    standing.standing_confirm_due(now=at)
    with pytest.raises(BasketError, match="confirmed already: cancel the order"):
        standing.standing_skip(customer_id=other.pk, window_id=window.pk, now=at)


def test_skipping_ahead_pausing_and_stopping(market) -> None:
    window, _carrots, _garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market)
    standing.standing_skip(customer_id=customer.pk, window_id=window.pk, now=timezone.now())
    assert _fill(window).filled == 0  # skipped before it was filled
    standing.standing_unskip(customer_id=customer.pk, window_id=window.pk, now=timezone.now())
    assert _fill(window).filled == 1

    later = factories.window(
        opens_at=window.opens_at + timedelta(days=7),
        closes_at=window.closes_at + timedelta(days=7),
        pickup_date=window.pickup_date + timedelta(days=7),
    )
    for offer in (_carrots, _garlic):
        factories.offer(window_=later, product_=offer.product, quantity=10)
    standing.standing_pause(
        customer_id=customer.pk,
        until=later.pickup_date + timedelta(days=1),
        today=timezone.localdate(),
    )
    assert (
        standing.standing_fill(window_id=later.pk, now=later.opens_at + timedelta(minutes=1)).filled
        == 0
    )
    standing.standing_resume(customer_id=customer.pk)
    assert (
        standing.standing_fill(window_id=later.pk, now=later.opens_at + timedelta(minutes=1)).filled
        == 1
    )
    standing.standing_stop(customer_id=customer.pk)
    with pytest.raises(BasketError, match="stopped: save it again"):
        standing.standing_pause(customer_id=customer.pk, until=None, today=timezone.localdate())
    standing.standing_resume(customer_id=customer.pk)
    with pytest.raises(BasketError, match="after today"):
        standing.standing_pause(
            customer_id=customer.pk, until=timezone.localdate(), today=timezone.localdate()
        )


def test_a_product_not_offered_is_replaced_from_another_farm_only_when_allowed(market) -> None:
    window, _carrots, _garlic, _point, _slot = market
    gone = factories.product(name="Épinards", price=Decimal("4.00"))  # not offered this week
    other_farm = factories.product(name="epinards", price=Decimal("4.50"))
    replacement = factories.offer(window_=window, product_=other_farm, quantity=10)
    allowed, not_allowed = factories.user(), factories.user()
    _save(allowed, market, lines=[(gone.pk, 1)], allow_substitutes=True)
    _save(not_allowed, market, lines=[(gone.pk, 1)])
    _fill(window)
    assert list(Order.objects.get(customer=allowed).lines.values_list("offer_id", flat=True)) == [
        replacement.pk
    ]
    week = StandingWeek.objects.get(standing__customer=allowed)
    assert week.substituted == [{"wanted": "Épinards", "farm": other_farm.farm.name, "quantity": 1}]
    lonely = StandingWeek.objects.get(standing__customer=not_allowed)
    assert lonely.status == StandingWeek.Status.EMPTY
    assert lonely.missing == [{"product": "Épinards", "wanted": 1, "got": 0}]


def test_an_order_the_customer_confirmed_themselves_is_left_alone(market) -> None:
    window, carrots, _garlic, point, _slot = market
    customer = factories.user()
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=5, now=timezone.now()
    )
    basket.order_confirm(
        customer_id=customer.pk, window_id=window.pk, pickup_point_id=point.pk,
        pickup_slot_id=PickupSlot.objects.get().pk, language="fr-ca", now=timezone.now(),
    )  # fmt: skip
    _save(customer, market)
    report = _fill(window)
    assert (report.filled, report.own_order) == (0, 1)
    assert dict(Order.objects.get(customer=customer).lines.values_list("offer_id", "quantity")) == {
        carrots.pk: 5
    }


def test_a_basket_begun_by_the_customer_keeps_what_they_put_in(market) -> None:
    window, carrots, garlic, _point, _slot = market
    customer = factories.user()
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=5, now=timezone.now()
    )
    _save(customer, market)  # 2 carrots, 2 garlic
    assert _fill(window).filled == 1
    lines = dict(Order.objects.get(customer=customer).lines.values_list("offer_id", "quantity"))
    assert lines == {carrots.pk: 5, garlic.pk: 2}  # never fewer than they chose
    carrots.refresh_from_db()
    assert carrots.remaining == 95


def test_skipping_gives_back_what_the_fill_took_and_keeps_what_the_customer_chose(
    market,
) -> None:
    window, carrots, garlic, _point, _slot = market
    customer = factories.user()
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=5, now=timezone.now()
    )
    _save(customer, market, lines=[(carrots.product_id, 7), (garlic.product_id, 2)])
    assert _fill(window).filled == 1
    week = StandingWeek.objects.get()
    assert week.added == {str(carrots.pk): 2, str(garlic.pk): 2}  # 5 carrots were theirs
    standing.standing_skip(customer_id=customer.pk, window_id=window.pk, now=timezone.now())
    lines = dict(Order.objects.get(customer=customer).lines.values_list("offer_id", "quantity"))
    assert lines == {carrots.pk: 5}
    carrots.refresh_from_db()
    garlic.refresh_from_db()
    assert (carrots.remaining, garlic.remaining) == (95, 3)


def test_a_week_skipped_before_the_fill_is_not_filled_and_takes_no_stock(market) -> None:
    window, carrots, garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market)
    standing.standing_skip(customer_id=customer.pk, window_id=window.pk, now=timezone.now())
    # The fill finds the basket before the skip's row is visible (a second worker's race):
    # its week row, written last, is refused by the unique pair and the fill rolls back.
    standing_basket = StandingBasket.objects.get(customer=customer)
    offers = standing._Offers.of(window)
    until = standing.confirm_time(window)
    assert (
        standing._fill_one(
            standing_basket, window=window, offers=offers, until=until, now=timezone.now()
        )
        is None
    )
    assert StandingWeek.objects.get().status == StandingWeek.Status.SKIPPED
    assert not Order.objects.filter(customer=customer).exists()
    carrots.refresh_from_db()
    garlic.refresh_from_db()
    assert (carrots.remaining, garlic.remaining) == (100, 3)


def test_the_review_email_is_sent_once_with_a_link_that_skips_without_logging_in(
    client, market
) -> None:
    window, _carrots, _garlic, _point, _slot = market
    customer = factories.user(email="marie@example.org")
    _save(customer, market, language="en")
    mail.outbox.clear()
    tasks.standing_tick()
    tasks.standing_tick()  # a second tick (or worker) sends nothing more
    reviews = [m for m in mail.outbox if "ready to review" in m.subject]
    assert [m.to for m in reviews] == [["marie@example.org"]]
    body = reviews[0].body
    assert "2 × Ail" in body
    link = next(line for line in body.splitlines() if "/usual/week/" in line).strip()
    path = link[link.index("/usual/week/") :]
    page = client.get(path)
    assert page.status_code == 200
    assert "Skip this week" in page.content.decode()
    assert client.post(path).status_code == 302
    assert StandingWeek.objects.get().status == StandingWeek.Status.SKIPPED
    assert Order.objects.get(customer=customer).lines.count() == 0
    # A tampered link, and an old one, get a clear page.
    bad = client.get(path[:-4] + "xyz/")
    assert bad.status_code == 400
    assert "not complete or was changed" in bad.content.decode()
    token = path.rstrip("/").rsplit("/", 1)[-1]
    with pytest.raises(signing.SignatureExpired):
        signing.loads(token, salt=standing_emails.SALT, max_age=-1)


def test_the_customer_saves_skips_and_pauses_from_their_page(client, market) -> None:
    window, carrots, garlic, point, slot = market
    customer = factories.user()
    client.force_login(customer)
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=3, now=timezone.now()
    )
    page = client.get(reverse("baskets:standing"))
    assert f'name="q-{carrots.product_id}" value="3"' in page.content.decode()  # from the basket
    refused = client.post(
        reverse("baskets:standing"),
        {f"q-{carrots.product_id}": "lots", "pickup_point": point.pk, "payment_method": "at_pickup",
         "language": "en"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "whole number" in refused.content.decode()
    saved = client.post(
        reverse("baskets:standing"),
        {f"q-{carrots.product_id}": "3", f"q-{garlic.product_id}": "0", "pickup_point": point.pk,
         "pickup_slot": slot.pk, "payment_method": "at_pickup", "language": "en",
         "allow_substitutes": "on"},
    )  # fmt: skip
    assert saved.status_code == 302
    standing_basket = StandingBasket.objects.get(customer=customer)
    assert list(StandingLine.objects.values_list("product_id", "quantity")) == [
        (carrots.product_id, 3)
    ]
    assert standing_basket.allow_substitutes
    assert client.post(reverse("baskets:standing_skip", args=[window.pk])).status_code == 302
    assert StandingWeek.objects.get().status == StandingWeek.Status.SKIPPED
    client.post(reverse("baskets:standing_skip", args=[window.pk]), {"undo": "1"})
    assert not StandingWeek.objects.exists()
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.post(reverse("baskets:standing_status"), {"action": "pause", "until": until})
    standing_basket.refresh_from_db()
    assert (standing_basket.status, str(standing_basket.paused_until)) == ("paused", until)
    page = client.get(reverse("baskets:standing"))
    assert "Resume" in page.content.decode()


def test_the_usual_basket_is_in_the_data_export_and_goes_with_an_erased_account(market) -> None:
    from baskets import privacy

    customer = factories.user()
    _save(customer, market)
    exported = privacy.customer_data(user=customer)["usual_basket"]
    assert sorted((row["product"], row["quantity"]) for row in exported) == [
        ("Ail", 2),
        ("Carottes", 2),
    ]
    privacy.account_erase(user_id=customer.pk)
    assert not StandingBasket.objects.exists()
    assert not StandingLine.objects.exists()


def _week_path(week: StandingWeek) -> str:
    return reverse(
        "baskets:standing_week", args=[standing_emails.week_token(week.standing_id, week.window_id)]
    )


def test_a_week_skipped_from_its_link_is_taken_back_there_and_filled_again(client, market) -> None:
    window, carrots, garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market, language="en")
    _fill(window)
    path = _week_path(StandingWeek.objects.get())
    assert client.post(path, {"action": "skip"}).status_code == 302
    skipped = client.get(path).content.decode()
    assert "You skipped this week" in skipped
    assert 'name="action" value="unskip"' in skipped
    assert "Take this week back" in skipped

    back = client.post(path, {"action": "unskip"}, follow=True)
    assert back.redirect_chain == [(path, 302)]  # the same link: it names basket and week
    page = back.content.decode()
    assert "Your usual basket is back for this week." in page
    assert "It is filled again within a minute" in page
    assert "Take this week back" not in page
    assert not StandingWeek.objects.exists()
    assert _fill(window).filled == 1  # the next tick
    assert StandingWeek.objects.get().status == StandingWeek.Status.FILLED
    assert dict(Order.objects.get(customer=customer).lines.values_list("offer_id", "quantity")) == {
        carrots.pk: 2,
        garlic.pk: 2,
    }
    refilled = client.get(path).content.decode()  # the old email's link still works
    assert "In your basket now:" in refilled
    assert "Skip this week" in refilled


def test_a_week_cannot_be_taken_back_from_its_link_after_the_deadline(client, market) -> None:
    window, _carrots, _garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market, language="en")
    _fill(window)
    week = StandingWeek.objects.get()
    path = _week_path(week)
    standing.standing_skip(customer_id=customer.pk, window_id=window.pk, now=timezone.now())
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    closed = client.get(path).content.decode()
    assert "You skipped this week" in closed
    assert "Take this week back" not in closed  # no button once the week is closed

    refused = client.post(path, {"action": "unskip"})  # a page left open since
    assert refused.status_code == 409
    assert "This week is closed for orders." in refused.content.decode()
    assert StandingWeek.objects.get().status == StandingWeek.Status.SKIPPED
    tampered = client.post(path[:-4] + "xyz/", {"action": "unskip"})
    assert tampered.status_code == 400
    assert "not complete or was changed" in tampered.content.decode()


def test_the_week_page_shows_the_replacements_and_what_was_missing_at_filling_time(
    client, market
) -> None:
    window, _carrots, garlic, _point, _slot = market
    gone = factories.product(name="Épinards", price=Decimal("4.00"))  # not offered this week
    other_farm = factories.product(name="epinards", price=Decimal("4.50"))
    factories.offer(window_=window, product_=other_farm, quantity=10)
    customer = factories.user()
    _save(customer, market, lines=[(gone.pk, 1), (garlic.product_id, 5)], allow_substitutes=True)
    _fill(window)
    page = client.get(_week_path(StandingWeek.objects.get())).content.decode()
    assert "In your basket now:" in page
    assert f"1 × epinards ({other_farm.farm.name})" in page
    assert "3 × Ail" in page
    assert "these were replaced by the same product from another farm:" in page
    assert f"<li>Épinards, from {other_farm.farm.name}</li>" in page
    assert "When your basket was filled, these were missing:" in page
    assert "<li>Ail (3 of 5)</li>" in page
    assert "Not in it this week" not in page


def test_a_skipped_week_page_does_not_offer_to_change_the_basket(client, market) -> None:
    window, _carrots, _garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market, language="en")
    _fill(window)
    path = _week_path(StandingWeek.objects.get())
    filled = client.get(path).content.decode()
    assert f'class="button button-secondary" href="{reverse("baskets:basket")}"' in filled
    assert "Change my basket (log in)" in filled
    client.post(path)
    skipped = client.get(path).content.decode()
    assert "You skipped this week" in skipped
    assert "Change my basket (log in)" not in skipped
    assert f'href="{reverse("baskets:basket")}"' not in skipped.split("<main", 1)[1]
    assert f'href="{reverse("baskets:standing")}"' in skipped


def test_the_weeks_a_pause_covers_say_so_and_cannot_be_skipped(market) -> None:
    from baskets import selectors

    window, _carrots, _garlic, _point, _slot = market
    customer = factories.user()
    _save(customer, market)
    standing.standing_pause(
        customer_id=customer.pk,
        until=window.pickup_date + timedelta(days=1),
        today=timezone.localdate(),
    )
    [row] = [
        r
        for r in selectors.standing_page(
            customer_id=customer.pk, now=timezone.now(), use_basket=False
        ).weeks
        if r.window == window
    ]
    assert (row.label, row.can_skip) == ("paused", False)
    assert _fill(window).filled == 0
