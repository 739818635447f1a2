"""The authorization matrix: every URL of the project, for seven roles, read and written.

How the matrix is built
-----------------------
- The URL conf is walked when this module is imported: ``url_patterns()`` goes through
  ``get_resolver().url_patterns`` recursively, into every included resolver (ours,
  allauth's ``accounts/``, the admin's ``admin/``, ``i18n/``...), and yields every
  URLPattern with its full route.
- A pattern is identified by its **view name**, ``namespace:name`` as ``reverse()`` takes
  it (``baskets:order``, ``admin:index``, ``account_login``, ``set_language``); a
  pattern without a name is identified by its **full route** as ``ResolverMatch.route``
  shows it (``admin/auth/group/<path:object_id>/``, ``^media/(?P<path>.*)$``).
- Every pattern must be in EXPECT (our URLs, and a concrete sample of third-party ones)
  or be covered by one of the rules for third-party trees (``THIRD_PARTY``: the admin,
  the rest of allauth, the media files served in development).
  ``test_every_url_pattern_is_in_the_matrix`` fails naming any pattern in neither: when
  you add a URL, add its rows to EXPECT (and to WRITERS / POST_DATA if it writes).
- URL arguments are filled with real objects of the ``world`` fixture, by argument name
  (ARGUMENTS, or OVERRIDES for one pattern): objects owned by someone are those of farm
  X and of customer A. Each URL built is resolved back and must land on its own pattern.

What each case checks
---------------------
For a (pattern, method, role): the status (LOGIN = a 302 to
``/accounts/login/?next=<the URL>``; ADMIN_LOGIN the same to the admin's login page; a
bare 302 = a redirect anywhere else than a login page). And the database: a request by
a role not in WRITERS (every GET, and most POSTs) leaves every table as it was; a POST
by a writer does change it (else its data would prove nothing), yet leaves what is not
its own alone (GUARDED): customer A's orders (coordinators may mark and cut them, in
their own area), farm X and its catalogue (farm X's farmer and coordinators only).

Roles: customers A and B are plain users; farmer X / farmer Y are members of farms X /
Y; the coordinator is in the group settings.COORDINATORS_GROUP and is not staff.

Speed: the world is built once for the module and each test runs in a savepoint of it;
each role's session is opened once. The whole file runs in about ten seconds.
"""

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import QueryDict
from django.http.response import HttpResponseBase
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.models import User
from baskets.models import WeekBasket, WeekBasketItem
from farms.models import Category, Farm, FarmMember, Product, TaxClass, Unit
from orders import basket as basket_service
from orders.forms import RhythmForm
from orders.models import (
    CoopSettings,
    Offer,
    Order,
    OrderLine,
    OrderWindow,
    Payment,
    PickupDocument,
    PickupPoint,
    PickupSlot,
    Receipt,
)
from organisations.models import Organisation, OrganisationInvitation, OrganisationMember
from pickup import receipts as receipt_service
from settlements.models import FarmStatement
from settlements.services import settle_window, statements_render
from tests import factories

ROLES = ("anonymous", "customer_a", "customer_b", "farmer_x", "staff_x", "farmer_y", "coordinator")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
MANAGE_X = frozenset({"farmer_x", "staff_x", "coordinator"})

Status = int | str
LOGIN = "302 to /accounts/login/?next=<url>"
ADMIN_LOGIN = "302 to /admin/login/?next=<url>"
Row = tuple[Status, Status, Status, Status, Status, Status, Status]


def every(status: Status) -> Row:
    return (status,) * 7  # type: ignore[return-value]


# fmt: off
# (pattern, method): statuses of (anonymous, customer_a, customer_b, farmer_x, staff_x,
# farmer_y, coordinator), with the objects of farm X / customer A in the URL. farmer_x is
# farm X's owner, staff_x a member of its staff (catalogue and stock, not its people).
EXPECT: dict[tuple[str, str], Row] = {
    # --- Monitoring and language switch: public, write nothing.
    ("healthz", "GET"): every(503),  # public; no worker nor beat runs in this world
    ("healthz", "POST"): every(405),
    ("livez", "GET"): every(200),
    ("livez", "POST"): every(405),
    ("set_language", "GET"): every(302),
    ("set_language", "POST"): every(302),  # sets a cookie, nothing in the database
    # --- allauth, a concrete sample (the rest: THIRD_PARTY below).
    ("account_login", "GET"): (200, 302, 302, 302, 302, 302, 302),  # signed in: sent home
    ("account_login", "POST"): (200, 302, 302, 302, 302, 302, 302),  # a wrong password
    ("account_signup", "GET"): (200, 302, 302, 302, 302, 302, 302),
    ("account_signup", "POST"): (200, 302, 302, 302, 302, 302, 302),  # passwords differ
    ("account_reset_password", "GET"): every(200),
    ("account_reset_password", "POST"): every(302),  # mails customer A, writes nothing
    ("account_email", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("account_email", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),  # remove A's address
    ("account_logout", "GET"): (302, 200, 200, 200, 200, 200, 200),  # signed in: confirm page
    ("account_logout", "POST"): every(302),
    # --- farms: the public directory, the farmer portal (404 outside one's farms).
    ("farms:directory", "GET"): every(200),
    ("farms:directory", "POST"): every(405),
    ("farms:portal", "GET"): (LOGIN, 403, 403, 302, 302, 302, 302),  # to the farm's home
    ("farms:portal", "POST"): (LOGIN, 403, 403, 405, 405, 405, 405),
    ("farms:profile", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("farms:profile", "POST"): (LOGIN, 404, 404, 302, 302, 404, 302),
    ("farms:products", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("farms:products", "POST"): every(405),
    ("farms:product_create", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("farms:product_create", "POST"): (LOGIN, 404, 404, 302, 302, 404, 302),
    ("farms:product_edit", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("farms:product_edit", "POST"): (LOGIN, 404, 404, 302, 302, 404, 302),
    # --- orders: the coordinator's area (403), the farm's weekly stock (404).
    ("pickup:coordinator", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("orders:coordinator_schedule", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:coordinator_schedule", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:coordinator_window_edit", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:coordinator_window_edit", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:coordinator_window_cancel", "GET"): every(405),
    ("orders:coordinator_window_cancel", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_window", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator_window", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("pickup:coordinator_progress", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator_progress", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    # The upcoming week, not open yet: GET goes back to its page, POST is refused.
    ("pickup:coordinator_close", "GET"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_close", "POST"): (LOGIN, 403, 403, 403, 403, 403, 409),
    ("pickup:coordinator_shortage", "GET"): every(405),
    ("pickup:coordinator_shortage", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_document", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator_document", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("pickup:coordinator_pickup", "GET"): every(405),
    ("pickup:coordinator_pickup", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("payments:coordinator_cash", "GET"): every(405),
    ("payments:coordinator_cash", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    # Refused (nothing received beyond what is owed): a message, nothing written.
    ("payments:coordinator_refund_by_hand", "GET"): every(405),
    ("payments:coordinator_refund_by_hand", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("payments:coordinator_excess_to_credit", "GET"): every(405),
    # Nothing beyond what A's order owes: refused with a message, nothing written.
    ("payments:coordinator_excess_to_credit", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_cancel_order", "GET"): every(405),
    ("pickup:coordinator_cancel_order", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    # --- pickup points and slots: the point is « Marché Jean-Talon » (no slot), the slot
    # the other point's; the week is the upcoming one. Reopening a point that is not
    # closed is refused (a message, 302, nothing written).
    ("orders:points", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:points", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("orders:point_create", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:point_create", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:point_edit", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:point_edit", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:point_slots", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:point_slots", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:point_week_slots", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:point_week_slots", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:point_week_copy", "GET"): every(405),
    ("orders:point_week_copy", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:point_reopen", "GET"): every(405),
    ("orders:point_reopen", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:slot_edit", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:slot_edit", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:slot_delete", "GET"): every(405),
    ("orders:slot_delete", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("orders:points_week", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("orders:points_week", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("orders:point_close", "GET"): every(405),
    ("orders:point_close", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    # --- the counter: phone orders (A's basket, emptied: refused and rolled back, 422)
    # and walk-in sales (last week, no buyer's name: refused, 422).
    ("baskets:coordinator_phone_order_find", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("baskets:coordinator_phone_order_find", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("baskets:coordinator_phone_order", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("baskets:coordinator_phone_order", "POST"): (LOGIN, 403, 403, 403, 403, 403, 422),
    ("pickup:coordinator_walk_in", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator_walk_in", "POST"): (LOGIN, 403, 403, 403, 403, 403, 422),
    # --- people and co-op settings
    ("pickup:coordinator_settings", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator_settings", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_people", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator_people", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("pickup:coordinator_person", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),  # customer A
    ("pickup:coordinator_person", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("pickup:coordinator_person_role", "GET"): every(405),
    ("pickup:coordinator_person_role", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_person_active", "GET"): every(405),
    ("pickup:coordinator_person_active", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_person_credit", "GET"): every(405),
    ("pickup:coordinator_person_credit", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_person_containers", "GET"): every(405),
    # A has no container out: the form is refused (422), nothing written.
    ("pickup:coordinator_person_containers", "POST"): (LOGIN, 403, 403, 403, 403, 403, 422),
    # Stripe's webhook: public, but only a request signed with our secret is heard.
    ("payments:stripe_webhook", "GET"): every(405),
    ("payments:stripe_webhook", "POST"): every(400),
    ("orders:farm_home", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("orders:farm_home", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("orders:stock_grid", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("orders:stock_grid", "POST"): (LOGIN, 404, 404, 302, 302, 404, 302),
    ("orders:stock_counts", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("orders:stock_counts", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("orders:stock_csv", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("orders:stock_csv", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("orders:stock_upload", "GET"): every(405),
    ("orders:stock_upload", "POST"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("pickup:farm_pickup_list", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("pickup:farm_pickup_list", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    # Weighing last week's pieces sold by weight (farm X's chicken): coordinators any
    # farm's (403 for others); a farmer their first farm's, so farmer Y sees farm Y's (none)
    # and has farm X's piece refused (422, nothing written).
    ("pickup:coordinator_weigh", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator_weigh", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:farm_weigh", "GET"): (LOGIN, 403, 403, 200, 200, 200, 200),
    ("pickup:farm_weigh", "POST"): (LOGIN, 403, 403, 302, 302, 422, 302),
    # --- receipts (#17): customer A's picked-up order has one.
    ("pickup:coordinator_receipt", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("pickup:coordinator_receipt", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("pickup:coordinator_receipt_reissue", "GET"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("pickup:coordinator_receipt_reissue", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("pickup:coordinator_credit_note", "GET"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("pickup:coordinator_credit_note", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("baskets:order_receipt", "GET"): (LOGIN, 200, 404, 404, 404, 404, 404),
    ("baskets:order_receipt", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    # --- settlements: the coordinator's settling and reports (403); a farm's statements
    # in the portal (404 outside one's farms). The week two weeks ago is settled.
    ("settlements:window", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("settlements:window", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("settlements:settle", "GET"): every(405),
    ("settlements:settle", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),  # already: unchanged
    ("settlements:payouts_csv", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("settlements:payouts_csv", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("settlements:write_off", "GET"): every(405),
    ("settlements:write_off", "POST"): (LOGIN, 403, 403, 403, 403, 403, 409),  # a settled week
    ("settlements:payout_paid", "GET"): every(405),
    ("settlements:payout_paid", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("settlements:reports", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("settlements:margins", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("settlements:margins", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("settlements:reports", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("settlements:reports_csv", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("settlements:reports_csv", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("settlements:farm_statements", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("settlements:farm_statements", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("settlements:farm_statement", "GET"): (LOGIN, 404, 404, 200, 200, 404, 200),
    ("settlements:farm_statement", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    # --- farms back office: the coordinators' farms (403); the owners' pages of the
    # portal (404 to the farm's staff); an invitation's link (a made-up token: 400).
    ("farms:coordinator_farms", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("farms:coordinator_farms", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("farms:coordinator_farm_create", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("farms:coordinator_farm_create", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("farms:coordinator_farm", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("farms:coordinator_farm", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),  # invites
    ("farms:coordinator_farm_status", "GET"): every(405),
    ("farms:coordinator_farm_status", "POST"): (LOGIN, 403, 403, 403, 403, 403, 302),
    ("farms:people", "GET"): (LOGIN, 404, 404, 200, 404, 404, 200),
    ("farms:people", "POST"): (LOGIN, 404, 404, 302, 404, 404, 302),  # invites
    ("farms:member_remove", "GET"): every(405),
    ("farms:member_remove", "POST"): (LOGIN, 404, 404, 302, 404, 404, 302),  # staff X's
    ("farms:payout", "GET"): (LOGIN, 404, 404, 200, 404, 404, 200),
    ("farms:payout", "POST"): (LOGIN, 404, 404, 302, 404, 404, 302),
    ("farms:invitation", "GET"): every(400),
    ("farms:invitation", "POST"): every(400),
    # --- organisations (#18): the coordinators' list and forms; an organisation's page
    # for its people (customer A is organisation O's approver) and coordinators, 404 to
    # anyone else; its invitation link (a made-up token: 400).
    ("organisations:coordinator_organisations", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("organisations:coordinator_organisations", "POST"): (LOGIN, 403, 403, 403, 403, 403, 405),
    ("organisations:coordinator_organisation_create", "GET"): (
        LOGIN, 403, 403, 403, 403, 403, 200,
    ),
    ("organisations:coordinator_organisation_create", "POST"): (
        LOGIN, 403, 403, 403, 403, 403, 302,
    ),
    ("organisations:coordinator_organisation_edit", "GET"): (
        LOGIN, 403, 403, 403, 403, 403, 200,
    ),
    ("organisations:coordinator_organisation_edit", "POST"): (
        LOGIN, 403, 403, 403, 403, 403, 302,
    ),
    ("organisations:page", "GET"): (LOGIN, 200, 404, 404, 404, 404, 200),
    ("organisations:page", "POST"): (LOGIN, 302, 404, 404, 404, 404, 302),  # invites
    ("organisations:member_remove", "GET"): every(405),
    ("organisations:member_remove", "POST"): (LOGIN, 302, 404, 404, 404, 404, 302),
    ("organisations:invitation", "GET"): every(400),
    ("organisations:invitation", "POST"): every(400),
    # --- baskets: public shop pages; each customer's own basket and orders.
    ("baskets:home", "GET"): every(200),
    ("baskets:home", "POST"): every(405),
    ("baskets:shop", "GET"): every(200),
    ("baskets:shop", "POST"): every(405),
    ("baskets:farm", "GET"): every(200),
    ("baskets:farm", "POST"): every(405),
    ("baskets:basket", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("baskets:basket", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("baskets:line_update", "GET"): every(405),
    ("baskets:line_update", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),  # one's own basket
    ("baskets:repeat", "GET"): every(405),
    ("baskets:repeat", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),
    ("baskets:keep", "GET"): every(405),
    ("baskets:keep", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),
    ("baskets:checkout", "GET"): (LOGIN, 200, 200, 302, 302, 302, 302),  # empty basket: to shop
    ("baskets:checkout", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),
    ("baskets:my_orders", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("baskets:my_orders", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("baskets:my_credit", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("baskets:my_credit", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),  # one's own choice
    ("baskets:order", "GET"): (LOGIN, 200, 404, 404, 404, 404, 404),
    ("baskets:order", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("baskets:order_cancel", "GET"): (LOGIN, 302, 404, 404, 404, 404, 404),  # not open: back
    ("baskets:order_cancel", "POST"): (LOGIN, 302, 404, 404, 404, 404, 404),
    # No Stripe key in the matrix: A is told card payment is not set up (302 back).
    ("baskets:order_pay", "GET"): every(405),
    ("baskets:order_pay", "POST"): (LOGIN, 302, 404, 404, 404, 404, 404),
    ("baskets:order_paid", "GET"): (LOGIN, 302, 404, 404, 404, 404, 404),
    ("baskets:order_paid", "POST"): every(405),
    # Law 25: the privacy page is public; one's own data, for oneself only (no id in
    # the URL); erasing asks for one's password (none sent here: 422, nothing erased).
    ("accounts:names", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),  # one's own name only
    ("accounts:names", "POST"): (LOGIN, 422, 422, 422, 422, 422, 422),  # no name sent here
    # --- email preferences: one's own; the unsubscribe link's token is its authority
    ("accounts:email_preferences", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("accounts:email_preferences", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),
    ("accounts:unsubscribe", "GET"): every(400),  # a made-up token
    ("accounts:unsubscribe", "POST"): every(400),
    # --- the basket of the week: composed by coordinators, taken by customers
    ("baskets:week_basket_take", "GET"): every(405),
    ("baskets:week_basket_take", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),
    ("baskets:coordinator_week_baskets", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("baskets:coordinator_week_baskets", "POST"): (LOGIN, 403, 403, 403, 403, 403, 422),
    ("baskets:coordinator_week_basket", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("baskets:coordinator_week_basket", "POST"): (LOGIN, 403, 403, 403, 403, 403, 422),
    ("baskets:coordinator_announcements", "GET"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("baskets:coordinator_announcements", "POST"): (LOGIN, 403, 403, 403, 403, 403, 422),
    # --- the usual basket: one's own (nobody has one here: refusals, nothing changes)
    ("baskets:standing", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("baskets:standing", "POST"): (LOGIN, 422, 422, 422, 422, 422, 422),  # no data
    ("baskets:standing_skip", "GET"): every(405),
    ("baskets:standing_skip", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),  # none to skip
    ("baskets:standing_status", "GET"): every(405),
    ("baskets:standing_status", "POST"): (LOGIN, 302, 302, 302, 302, 302, 302),
    # The review email's link: its signed token is the authority, no login (a made-up
    # token here: refused for all).
    ("baskets:standing_week", "GET"): every(400),
    ("baskets:standing_week", "POST"): every(400),
    ("baskets:privacy", "GET"): every(200),
    ("baskets:privacy", "POST"): every(405),
    ("baskets:my_data", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("baskets:my_data", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("baskets:my_data_json", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("baskets:my_data_json", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("baskets:my_data_zip", "GET"): (LOGIN, 200, 200, 200, 200, 200, 200),
    ("baskets:my_data_zip", "POST"): (LOGIN, 405, 405, 405, 405, 405, 405),
    ("baskets:account_erase", "GET"): every(405),
    ("baskets:account_erase", "POST"): (LOGIN, 422, 422, 422, 422, 422, 422),
}
# fmt: on

# Roles whose POST to the pattern writes (their own data): it must change the database.
# Everyone else's requests, and every GET, must leave it as it was.
WRITERS: dict[str, frozenset[str]] = {
    "accounts:email_preferences": SIGNED_IN,  # one's own preferences (none given: all off)
    "farms:profile": MANAGE_X,
    "farms:product_create": MANAGE_X,
    "farms:product_edit": MANAGE_X,
    "orders:stock_grid": MANAGE_X,
    "orders:stock_upload": MANAGE_X,
    "orders:coordinator_schedule": frozenset({"coordinator"}),
    "orders:coordinator_window_edit": frozenset({"coordinator"}),
    "orders:coordinator_window_cancel": frozenset({"coordinator"}),  # it has no order yet
    "pickup:coordinator_shortage": frozenset({"coordinator"}),
    "pickup:coordinator_pickup": frozenset({"coordinator"}),
    "settlements:payout_paid": frozenset({"coordinator"}),
    "payments:coordinator_cash": frozenset({"coordinator"}),
    "settlements:margins": frozenset({"coordinator"}),
    "pickup:coordinator_cancel_order": frozenset({"coordinator"}),
    "pickup:coordinator_weigh": frozenset({"coordinator"}),
    "pickup:farm_weigh": MANAGE_X,
    "pickup:coordinator_receipt_reissue": frozenset({"coordinator"}),  # drawn again
    "pickup:coordinator_credit_note": frozenset(
        {"coordinator"}
    ),  # a credit note  # the coordinator's first farm is farm X
    # --- pickup points and slots
    "orders:point_create": frozenset({"coordinator"}),
    "orders:point_edit": frozenset({"coordinator"}),
    "orders:point_slots": frozenset({"coordinator"}),
    "orders:point_week_slots": frozenset({"coordinator"}),
    "orders:point_week_copy": frozenset({"coordinator"}),
    "orders:slot_edit": frozenset({"coordinator"}),
    "orders:slot_delete": frozenset({"coordinator"}),  # no order uses it
    "orders:point_close": frozenset({"coordinator"}),
    # --- farms back office
    "farms:coordinator_farm_create": frozenset({"coordinator"}),
    "farms:coordinator_farm": frozenset({"coordinator"}),
    "farms:coordinator_farm_status": frozenset({"coordinator"}),
    "farms:people": frozenset({"farmer_x", "coordinator"}),
    "farms:member_remove": frozenset({"farmer_x", "coordinator"}),
    "farms:payout": frozenset({"farmer_x", "coordinator"}),
    # --- people and co-op settings
    "pickup:coordinator_settings": frozenset({"coordinator"}),
    "pickup:coordinator_person_role": frozenset({"coordinator"}),  # A made coordinator
    "pickup:coordinator_person_active": frozenset({"coordinator"}),  # A deactivated
    "pickup:coordinator_person_credit": frozenset({"coordinator"}),  # A gets 5 $
    "baskets:my_credit": SIGNED_IN,  # each keeps refunds as credit, on their own account
    "organisations:coordinator_organisation_create": frozenset({"coordinator"}),
    "organisations:coordinator_organisation_edit": frozenset({"coordinator"}),
    "organisations:page": frozenset({"customer_a", "coordinator"}),  # an invitation
    "organisations:member_remove": frozenset({"customer_a", "coordinator"}),  # its accountant
    "baskets:line_update": SIGNED_IN,  # each into their own basket
    "baskets:checkout": frozenset({"customer_a", "customer_b"}),  # B confirms B's basket
    "baskets:repeat": frozenset({"customer_a"}),  # only A has a previous order
    "baskets:keep": frozenset({"customer_a", "customer_b"}),  # each keeps their own basket
    "baskets:order_cancel": frozenset({"customer_a"}),
}

# Patterns whose (whole) tree is covered by a rule rather than by rows of EXPECT.
ALLAUTH_SKIPPED = {
    "account_confirm_email": "needs the key mailed at signup: a made-up key only shows "
    "the 'invalid link' page",
    "account_reset_password_from_key": "needs the uid and token mailed for a reset: a "
    "made-up one only shows the 'bad token' page",
}


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or the full route of a pattern without a name
    route: str  # the full route, as ResolverMatch.route shows it
    namespace: str
    view: str  # the dotted path of the view


def _join(route1: str, route2: str) -> str:
    """Join routes as django.urls.resolvers.URLResolver._join_route does."""
    return route2 if not route1 else route1 + route2.removeprefix("^")


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str, namespaces: tuple[str, ...]
) -> Iterator[Pattern]:
    for entry in patterns:
        route = _join(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, route, inner)
        else:
            key = ":".join((*namespaces, entry.name)) if entry.name else route
            yield Pattern(key, route, ":".join(namespaces), entry.lookup_str)


def url_patterns() -> list[Pattern]:
    return list(_walk(get_resolver().url_patterns, "", ()))


PATTERNS = url_patterns()


def is_admin(p: Pattern) -> bool:
    return p.namespace == "admin"


def is_allauth(p: Pattern) -> bool:
    return p.view.startswith("allauth.")


def is_media(p: Pattern) -> bool:
    """The files under MEDIA_URL, served by Django only when DEBUG is on."""
    return p.view == "django.views.static.serve"


THIRD_PARTY: dict[str, Callable[[Pattern], bool]] = {
    "admin": is_admin,
    "allauth": is_allauth,
    "media": is_media,
}


def in_expect(p: Pattern) -> bool:
    return any((p.key, method) in EXPECT for method in ("GET", "POST"))


def rule_of(p: Pattern) -> str | None:
    return next((name for name, covers in THIRD_PARTY.items() if covers(p)), None)


# --- The world --------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User | None]
    farm_x: Farm
    farm_y: Farm
    product_x: Product
    product_y: Product
    window: OrderWindow  # open now
    upcoming: OrderWindow
    previous: OrderWindow  # closed last week
    last_week_offer: Offer  # farm X's, in the closed window
    last_week_order_a: Order  # customer A's, picked up
    receipt_a: Receipt  # its numbered receipt
    pickup_list_x: PickupDocument  # farm X's list of last week
    weighed_line: OrderLine  # last week's 2 chickens of farm X (sold by weight), unweighed
    statement_x: FarmStatement  # farm X's statement of two weeks ago (settled)
    offer_x: Offer  # in the open window
    offer_y: Offer
    order_a: Order  # customer A's basket in the open window, one line
    order_b: Order  # customer B's, one line too
    point: PickupPoint
    week_basket: WeekBasket  # of the open window, not shown in the shop: nobody takes it
    organisation: Organisation  # customer A is its approver
    org_accountant: OrganisationMember  # its accountant (another person)
    private_root: str
    sessions: dict[str, str]  # role: session key


@pytest.fixture(autouse=True)
def _no_rate_limits_from_other_tests() -> None:
    """allauth counts logins and resets in the cache: start each test afresh."""
    cache.clear()


@pytest.fixture(scope="module")
def _world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The world is built once, in a transaction rolled back after the module; each test
    runs in a savepoint of it (pytest-django's `db`), so no test sees another's writes."""
    files = override_settings(
        PRIVATE_ROOT=tmp_path_factory.mktemp("private"),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # as conftest
    )
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        files.enable()
        outer.__enter__()
        world = build_world()
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
        files.disable()


@pytest.fixture
def world(_world: World, db: None, settings: Any) -> World:
    """The module's world, its private files copied to this test's PRIVATE_ROOT (a test
    may rebuild the lists: the next one finds them as they were)."""
    shutil.copytree(_world.private_root, settings.PRIVATE_ROOT, dirs_exist_ok=True)
    return _world


def build_world() -> World:
    now = timezone.now()
    CoopSettings.load()  # created once here, not by the first page that reads it
    farm_x = factories.farm(name="Ferme X", slug="ferme-x")
    farm_y = factories.farm(name="Ferme Y", slug="ferme-y")
    coordinator = factories.coordinator()
    assert not coordinator.is_staff
    users: dict[str, User | None] = {
        "anonymous": None,
        "customer_a": factories.user(email="a@example.org"),
        "customer_b": factories.user(email="b@example.org"),
        "farmer_x": factories.farmer(farm_=farm_x, email="fx@example.org"),
        "staff_x": factories.farmer(
            farm_=farm_x, email="sx@example.org", membership__role=FarmMember.Role.STAFF
        ),
        "farmer_y": factories.farmer(farm_=farm_y, email="fy@example.org"),
        "coordinator": coordinator,
    }
    product_x = factories.product(farm_=farm_x, name="Carottes X", unit=Unit.BUNCH)
    product_y = factories.product(farm_=farm_y, name="Miel Y", unit=Unit.EACH)
    window = factories.window()
    upcoming = factories.window(open_now=False)
    previous = factories.window(
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=6),
        pickup_date=(now - timedelta(days=4)).date(),
        status=OrderWindow.Status.CLOSED,
    )
    offer_x = factories.offer(window_=window, product_=product_x)
    offer_y = factories.offer(window_=window, product_=product_y)
    factories.offer(window_=upcoming, product_=product_x)
    last_week = factories.offer(window_=previous, product_=product_x)
    picked_up = factories.order(
        window_=previous, customer=users["customer_a"], status=Order.Status.PICKED_UP
    )
    OrderLine.objects.create(
        order=picked_up,
        offer=last_week,
        quantity=3,
        unit_price=last_week.price,
        tax_class=product_x.tax_class,
    )
    Offer.objects.filter(pk=last_week.pk).update(remaining=7)
    receipt_a = receipt_service.receipt_issue(order_id=picked_up.pk)
    assert receipt_a is not None
    chicken = factories.offer(
        window_=previous,
        product_=factories.product(
            farm_=farm_x,
            name="Poulet X",
            unit=Unit.KG,
            price=Decimal("12.00"),
            estimated_weight=Decimal("1.800"),
            is_active=False,  # sold last week only: no row of this week's stock grid
        ),
    )
    weighed_line = OrderLine.objects.create(
        order=factories.order(
            window_=previous,
            customer=factories.user(email="d@example.org"),
            status=Order.Status.LOCKED,
        ),
        offer=chicken,
        quantity=2,
        unit_price=chicken.price,
        tax_class=chicken.product.tax_class,
        unit_weight_estimate=chicken.product.estimated_weight,
    )
    pickup_list_x = PickupDocument(window=previous, kind=PickupDocument.Kind.FARM_LIST, farm=farm_x)
    pickup_list_x.csv.save("ferme-x.csv", ContentFile(b"product,quantity\nCarottes X,3\n"))
    # Two weeks ago, settled: a customer who is none of the roles bought from farm X and
    # paid in cash; farm X has its statement. (Last week stays unpaid for pickup day.)
    settled_week = factories.window(
        opens_at=now - timedelta(days=17),
        closes_at=now - timedelta(days=13),
        pickup_date=(now - timedelta(days=11)).date(),
        status=OrderWindow.Status.CLOSED,
    )
    settled_offer = factories.offer(window_=settled_week, product_=product_x)
    settled_order = factories.order(
        window_=settled_week,
        customer=factories.user(email="c@example.org"),
        status=Order.Status.PICKED_UP,
    )
    OrderLine.objects.create(
        order=settled_order,
        offer=settled_offer,
        quantity=2,
        unit_price=settled_offer.price,
        tax_class=product_x.tax_class,
    )
    Payment.objects.create(
        order=settled_order,
        method=Payment.Method.AT_PICKUP,
        kind=Payment.Kind.CASH,
        status=Payment.Status.COLLECTED,
        amount_captured=settled_offer.price * 2,
    )
    settled = settle_window(window_id=settled_week.pk, by=coordinator, now=now).settlement
    statements_render(settlement_id=settled.pk)  # what the task after commit does
    statement_x = settled.statements.get(farm=farm_x)
    point = factories.pickup_point(name="Marché Jean-Talon")
    other_point = factories.pickup_point(name="Église Saint-Denis")
    PickupSlot.objects.create(
        pickup_point=other_point,
        starts_at=other_point.opens_at,
        ends_at=other_point.closes_at,
        capacity=10,
    )
    for role, offer, quantity in (("customer_a", offer_x, 2), ("customer_b", offer_y, 1)):
        customer = users[role]
        assert customer is not None
        basket_service.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk, quantity=quantity, now=now
        )
    week_basket = WeekBasket.objects.create(window=window, name="Découverte", is_published=False)
    organisation = Organisation.objects.create(
        legal_name="CPE Les Lucioles", slug="cpe-les-lucioles", neq="1171234567",
        billing_address="12 rue des Érables",
    )  # fmt: skip
    approver = users["customer_a"]
    assert approver is not None
    OrganisationMember.objects.create(
        organisation=organisation, user=approver, role=OrganisationMember.Role.APPROVER
    )
    org_accountant = OrganisationMember.objects.create(
        organisation=organisation, user=factories.user(), role=OrganisationMember.Role.ACCOUNTANT
    )
    WeekBasketItem.objects.create(basket=week_basket, offer=offer_x, quantity=1)
    return World(
        users=users,
        farm_x=farm_x,
        farm_y=farm_y,
        product_x=product_x,
        product_y=product_y,
        window=window,
        upcoming=upcoming,
        previous=previous,
        last_week_offer=last_week,
        last_week_order_a=picked_up,
        receipt_a=receipt_a,
        pickup_list_x=pickup_list_x,
        weighed_line=weighed_line,
        statement_x=statement_x,
        offer_x=offer_x,
        offer_y=offer_y,
        order_a=Order.objects.get(window=window, customer=users["customer_a"]),
        order_b=Order.objects.get(window=window, customer=users["customer_b"]),
        point=point,
        week_basket=week_basket,
        organisation=organisation,
        org_accountant=org_accountant,
        private_root=str(settings.PRIVATE_ROOT),
        sessions={role: session_of(user) for role, user in users.items() if user},
    )


def session_of(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


# URL arguments by name. Our URLs get the objects of farm X and customer A; the window
# of the stock pages is the upcoming one (the week farmers fill).
ARGUMENTS: dict[str, Callable[[World], object]] = {
    "farm_slug": lambda w: w.farm_x.slug,
    "slug": lambda w: w.farm_x.slug,  # baskets:farm, a farm's public page
    "product_id": lambda w: w.product_x.pk,
    "window_id": lambda w: w.upcoming.pk,
    "offer_id": lambda w: w.offer_x.pk,
    "order_id": lambda w: w.order_a.pk,
    "document_id": lambda w: w.pickup_list_x.pk,
    "statement_id": lambda w: w.statement_x.pk,
    "point_id": lambda w: w.point.pk,
    "slot_id": lambda w: PickupSlot.objects.get(pickup_point__name="Église Saint-Denis").pk,
    "fmt": lambda w: "csv",
    # The admin's, allauth's and the media server's.
    "object_id": lambda w: w.order_a.pk,
    "id": lambda w: w.order_a.customer_id,
    "content_type_id": lambda w: ContentType.objects.get_for_model(Order).pk,
    "app_label": lambda w: "orders",
    "url": lambda w: "no-such-page/",
    "path": lambda w: "no-such-file.png",
    "key": lambda w: "not-a-real-key",
    "uidb36": lambda w: "1",
    "user_id": lambda w: w.order_a.customer_id,
    # --- farms back office: staff X's membership; an invitation's (made-up) token.
    "member_id": lambda w: FarmMember.objects.get(user=w.users["staff_x"]).pk,
    "token": lambda w: "not-a-real-token",
    "basket_id": lambda w: w.week_basket.pk,
    "number": lambda w: w.receipt_a.number,
}


# Where one pattern needs another object than ARGUMENTS gives.
def last_week(w: World) -> object:
    return w.previous.pk


def settled_week(w: World) -> int:
    return w.statement_x.settlement.window_id


def settled_order(w: World) -> Order:
    return Order.objects.get(window_id=settled_week(w))


OVERRIDES: dict[str, dict[str, Callable[[World], object]]] = {
    # --- people and co-op settings: customer A's account.
    "pickup:coordinator_person": {"user_id": lambda w: w.order_a.customer_id},
    "pickup:coordinator_person_role": {"user_id": lambda w: w.order_a.customer_id},
    "pickup:coordinator_person_active": {"user_id": lambda w: w.order_a.customer_id},
    "pickup:coordinator_person_credit": {"user_id": lambda w: w.order_a.customer_id},
    "organisations:coordinator_organisation_edit": {"slug": lambda w: w.organisation.slug},
    "organisations:page": {"slug": lambda w: w.organisation.slug},
    "organisations:member_remove": {
        "slug": lambda w: w.organisation.slug,
        "member_id": lambda w: w.org_accountant.pk,
    },
    "pickup:coordinator_person_containers": {"user_id": lambda w: w.order_a.customer_id},
    # The coordinator's pages of a closed week (the upcoming week for "close now", which
    # is refused as not yet due: a due one would queue a real Celery task).
    "pickup:coordinator_window": {"window_id": last_week},
    "pickup:coordinator_progress": {"window_id": last_week},
    "pickup:coordinator_shortage": {"window_id": last_week},
    "pickup:coordinator_pickup": {"order_id": lambda w: w.last_week_order_a.pk},
    "payments:coordinator_cash": {"order_id": lambda w: w.last_week_order_a.pk},
    "payments:coordinator_refund_by_hand": {"order_id": lambda w: w.last_week_order_a.pk},
    "payments:coordinator_excess_to_credit": {"order_id": lambda w: w.last_week_order_a.pk},
    "pickup:coordinator_cancel_order": {"order_id": lambda w: w.last_week_order_a.pk},
    # The point with a standing slot, to copy it into the week.
    "orders:point_week_copy": {
        "point_id": lambda w: PickupPoint.objects.get(name="Église Saint-Denis").pk
    },
    "pickup:farm_pickup_list": {"window_id": last_week},
    "pickup:coordinator_walk_in": {"window_id": last_week},
    "pickup:coordinator_weigh": {"window_id": last_week},
    "pickup:farm_weigh": {"window_id": last_week},
    "baskets:order_receipt": {"order_id": lambda w: w.last_week_order_a.pk},
    "baskets:coordinator_phone_order": {"window_id": lambda w: w.window.pk},
    "settlements:window": {"window_id": settled_week},
    "settlements:settle": {"window_id": settled_week},
    "settlements:payouts_csv": {"window_id": settled_week},
    "settlements:write_off": {"order_id": lambda w: settled_order(w).pk},
}


def _profile_data(w: World) -> dict[str, Any]:
    return {
        "name": "Ferme X renommée",
        "town": "Compton",
        "region": "estrie",
        "description": "",
        "practices": "",
        "email": "x@example.org",
        "phone": "",
        "website": "",
        "language": "fr-ca",
    }


def _product_data(name: str, price: str) -> dict[str, Any]:
    return {
        "name": name,
        "category": Category.VEGETABLES,
        "description": "",
        "unit": Unit.BUNCH,
        "package_size": "",
        "price": price,
        "tax_class": TaxClass.ZERO_RATED,
        "is_active": "on",
        "default_quantity": "12",
    }


def _csv(w: World) -> dict[str, Any]:
    content = f"product_id,quantity,price\n{w.product_x.pk},41,9\n".encode()
    return {"file": SimpleUploadedFile("stock.csv", content, content_type="text/csv")}


def _rhythm(w: World) -> dict[str, Any]:
    rhythm = CoopSettings.load()
    return {
        **{field: getattr(rhythm, field) for field in RhythmForm.base_fields},
        "basket_hold_minutes": rhythm.basket_hold_minutes + 15,
    }


def _window_dates(w: World) -> dict[str, Any]:
    def local(moment: datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")

    return {
        "opens_at": local(w.upcoming.opens_at),
        "closes_at": local(w.upcoming.closes_at),
        "pickup_date": w.upcoming.pickup_date.isoformat(),
        "note": "Apportez vos sacs.",
    }


def _point_data(name: str, **fields: str) -> dict[str, str]:
    return {
        "name": name,
        "address": "1 rue Principale",
        "city": "Montréal",
        "opens_at": "16:00",
        "closes_at": "19:00",
        "is_active": "on",
        **fields,
    }


# What each POST sends: what an allowed role would really send (so that the database
# check of the refused roles proves something), never anything destructive.
POST_DATA: dict[str, Callable[[World], dict[str, Any]]] = {
    # --- people and co-op settings
    "pickup:coordinator_settings": lambda w: {
        "basket_hold_minutes": "50",
        "minimum_order_amount": "10.00",
        "pay_at_pickup": "on",
        "margin_percent": "14.00",
        "weighed_hold_margin_percent": "15.00",
        "address": "12, rue des Champs, Magog QC",
        "tps_number": "123456789 RT0001",
        "tvq_number": "1234567890 TQ0001",
        "standing_confirm_hours": "24",
        "privacy_officer": "Léa Roy",
        "privacy_email": "vie-privee@example.org",
    },
    "pickup:coordinator_person_role": lambda w: {"coordinator": "1"},
    "pickup:coordinator_person_active": lambda w: {"active": "0"},
    "pickup:coordinator_person_credit": lambda w: {
        "reason": "goodwill",
        "amount": "5.00",
        "note": "Tomates abîmées",
    },
    "pickup:coordinator_person_containers": lambda w: {"product": "1", "containers": "1"},
    "organisations:coordinator_organisation_create": lambda w: {
        "legal_name": "Cuisine collective Hochelaga",
        "kind": "kitchen",
        "neq": "2261234567",
        "billing_address": "2 rue Ontario",
        "payment_terms": "15",
        "language": "fr-ca",
    },
    "organisations:coordinator_organisation_edit": lambda w: {
        "legal_name": "CPE Les Lucioles inc.",
        "kind": "cpe",
        "neq": w.organisation.neq,
        "billing_address": "12 rue des Érables",
        "approval_limit": "300",
        "payment_terms": "30",
        "language": "fr-ca",
    },
    "organisations:page": lambda w: {"email": "new-buyer@example.org", "role": "buyer"},
    "baskets:my_credit": lambda w: {"keep_refunds": "1"},
    "set_language": lambda w: {"language": "en", "next": "/"},
    "account_login": lambda w: {"login": "a@example.org", "password": "not-the-password"},
    "account_signup": lambda w: {
        "email": "new@example.org",
        "password1": "a-Long-enough-pass-1",
        "password2": "another-Long-pass-2",
    },
    "account_reset_password": lambda w: {"email": "a@example.org"},
    "account_email": lambda w: {"action_remove": "", "email": "a@example.org"},
    "farms:profile": _profile_data,
    "farms:product_create": lambda w: _product_data("Tomates", "4.50"),
    "farms:product_edit": lambda w: _product_data(w.product_x.name, "9.99"),
    "orders:stock_grid": lambda w: {f"q-{w.product_x.pk}": "40", f"p-{w.product_x.pk}": "9,99"},
    "orders:stock_upload": _csv,
    "orders:coordinator_schedule": _rhythm,
    "orders:coordinator_window_edit": _window_dates,
    "pickup:coordinator_shortage": lambda w: {"offer": w.last_week_offer.pk, "units": "1"},
    "pickup:coordinator_pickup": lambda w: {"picked_up": "0"},
    "pickup:coordinator_weigh": lambda w: {f"w-{w.weighed_line.pk}-1": "1,92"},
    "pickup:farm_weigh": lambda w: {f"w-{w.weighed_line.pk}-1": "1,92"},
    "settlements:margins": lambda w: {f"m-{w.farm_x.pk}": "12,5"},
    "settlements:write_off": lambda w: {"reason": "Pas venu"},
    "settlements:payout_paid": lambda w: {
        "paid_on": w.statement_x.settlement.window.pickup_date.isoformat(),
        "reference": "VIR-2026-001",
    },
    "baskets:line_update": lambda w: {"quantity": "3"},
    "baskets:checkout": lambda w: {"pickup_point": w.point.pk, "language": "fr-ca"},
    # --- pickup points and slots
    "orders:point_create": lambda w: _point_data("Marché Atwater"),
    "orders:point_edit": lambda w: _point_data(w.point.name, instructions="Entrée côté rue."),
    "orders:point_slots": lambda w: {"starts_at": "10:00", "ends_at": "11:00", "capacity": "5"},
    "orders:point_week_slots": lambda w: {
        "starts_at": "17:00",
        "ends_at": "18:00",
        "capacity": "8",
    },
    "orders:slot_edit": lambda w: {"starts_at": "16:00", "ends_at": "18:00", "capacity": "12"},
    "orders:point_close": lambda w: {"pickup_point": w.point.pk, "reason": "Férié"},
    # --- farms back office
    "farms:coordinator_farm_create": lambda w: {
        "name": "Ferme Z",
        "region": "estrie",
        "town": "Compton",
        "email": "z@example.org",
        "language": "fr-ca",
    },
    "farms:coordinator_farm": lambda w: {"email": "new-x@example.org", "role": "staff"},
    "farms:coordinator_farm_status": lambda w: {"status": "paused"},
    "farms:people": lambda w: {"email": "new-x@example.org", "role": "staff"},
    "farms:invitation": lambda w: {"first_name": "Léa", "last_name": "Roy"},
    "farms:payout": lambda w: {
        "payout_name": "Ferme X inc.",
        "payout_institution": "815",
        "payout_transit": "30001",
        "payout_account": "1234567",
    },
}


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _fill(route: str, values: Callable[[str], object]) -> str:
    """The path of a route, its <converters> and (?P<groups>) replaced by values."""
    out: list[str] = []
    i = 0
    while i < len(route):
        if route.startswith("(?P<", i):
            name = route[i + 4 : route.index(">", i)]
            depth, i = 1, i + 1
            while depth:  # to the group's closing parenthesis
                depth += {"(": 1, ")": -1}.get(route[i], 0)
                i += 2 if route[i] == "\\" else 1
            out.append(str(values(name)))
        elif match := _CONVERTER.match(route, i):
            out.append(str(values(match.group(1))))
            i = match.end()
        elif route[i] in "^$":
            i += 1
        elif route[i] == "\\":
            out.append(route[i + 1])
            i += 2
        else:
            out.append(route[i])
            i += 1
    return "/" + "".join(out)


def url_of(pattern: Pattern, world: World) -> str:
    def value(name: str) -> object:
        fill = {**ARGUMENTS, **OVERRIDES.get(pattern.key, {})}.get(name)
        if fill is None:
            pytest.fail(
                f"{pattern.key}: no value for the URL argument {name!r}: add it to ARGUMENTS"
            )
        return fill(world)

    url = _fill(pattern.route, value)
    match = resolve(url)
    found = match.view_name if match.url_name else match.route
    assert found == pattern.key, f"{url} was built for {pattern.key} but resolves to {found}"
    return url


# --- What a request changed -------------------------------------------------------------

NOT_COMPARED = {"sessions.Session"}  # signing in and out rotates sessions


TABLES = sorted(
    model._meta.db_table
    for model in apps.get_models(include_auto_created=True)
    if model._meta.label not in NOT_COMPARED
)


def database_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (raw SQL: ten times quicker than the ORM here)."""
    state = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
            state[table] = cursor.fetchall()
    return state


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def customer_a_orders(w: World) -> list[tuple[Any, ...]]:
    orders = Order.objects.filter(customer=w.users["customer_a"]).order_by("pk")
    lines = OrderLine.objects.filter(order__in=orders).order_by("pk")
    return [*orders.values_list(), *lines.values_list()]


def farm_x_rows(w: World) -> list[tuple[Any, ...]]:
    return [
        *Farm.objects.filter(pk=w.farm_x.pk).values_list(),
        *Product.objects.filter(farm=w.farm_x).order_by("pk").values_list(),
        *FarmMember.objects.filter(farm=w.farm_x).order_by("pk").values_list(),
        *Farm.certifications.through.objects.filter(farm=w.farm_x).values_list(),
    ]


# Who alone may change what: (rows, roles allowed to change them).
def may_change_a_orders(key: str, role: str) -> bool:
    """Customer A; and coordinators on pickup day, in their own area (pickups, shortages)."""
    return role == "customer_a" or (role == "coordinator" and key.startswith("pickup:coordinator"))


def may_change_farm_x(key: str, role: str) -> bool:
    return role in MANAGE_X


def organisation_rows(w: World) -> list[tuple[Any, ...]]:
    return [
        *Organisation.objects.filter(pk=w.organisation.pk).values_list(),
        *OrganisationMember.objects.filter(organisation=w.organisation)
        .order_by("pk")
        .values_list(),
        *OrganisationInvitation.objects.filter(organisation=w.organisation)
        .order_by("pk")
        .values_list(),
    ]


def may_change_organisation(key: str, role: str) -> bool:
    """Its approver (customer A) and coordinators, on its pages only."""
    return role in ("customer_a", "coordinator") and key.startswith("organisations:")


# What a writer's POST must leave alone unless it may change it: (rows, who may).
GUARDED: dict[str, tuple[Callable[[World], list[tuple[Any, ...]]], Callable[[str, str], bool]]] = {
    "customer A's orders and lines": (customer_a_orders, may_change_a_orders),
    "farm X, its members and catalogue": (farm_x_rows, may_change_farm_x),
    "organisation O, its people and invitations": (organisation_rows, may_change_organisation),
}


def status_problem(response: HttpResponseBase, expected: Status, url: str) -> str | None:
    """What is wrong with the response, or None."""
    got = response.status_code
    location = response.get("Location", "")
    if expected in (LOGIN, ADMIN_LOGIN):
        login = reverse("account_login") if expected == LOGIN else reverse("admin:login")
        query = QueryDict(mutable=True)
        query["next"] = url
        wanted = f"{login}?{query.urlencode(safe='/')}"
        if (got, location) != (302, wanted):
            return f"expected a 302 to {wanted}, got {got} {location}".rstrip()
        return None
    if got != expected:
        return f"expected {expected}, got {got} {location}".rstrip()
    if got == 302 and location.startswith((reverse("account_login"), reverse("admin:login"))):
        return f"expected a 302 elsewhere than a login page, got one to {location}"
    return None


def sign_in(client: Client, world: World, role: str) -> None:
    """The role's session, opened once for the module (force_login each time is slow)."""
    if role in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]


def request(client: Client, method: str, url: str, data: dict[str, Any]) -> HttpResponseBase:
    if method == "GET":
        return client.get(url)
    return client.post(url, data)


# --- The tests --------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_matrix() -> None:
    missing = [p for p in PATTERNS if not in_expect(p) and rule_of(p) is None]
    assert not missing, "URL patterns with no entry in the authorization matrix:\n" + "\n".join(
        f"  {p.key!r} (route {p.route!r}, view {p.view}): add its rows to EXPECT" for p in missing
    )
    ours = [p for p in PATTERNS if rule_of(p) is None]
    keys = [p.key for p in ours]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    assert not twice, f"patterns sharing one name, so one row for two URLs: {twice}"
    no_post = [p.key for p in ours if (p.key, "POST") not in EXPECT]
    assert not no_post, f"patterns with no POST row (405 if they refuse POST): {no_post}"
    stale = sorted({key for key, _ in EXPECT} - {p.key for p in PATTERNS})
    assert not stale, f"rows of EXPECT for patterns that no longer exist: {stale}"
    allauth = {p.key for p in PATTERNS if is_allauth(p)}
    assert set(ALLAUTH_SKIPPED) <= allauth, "ALLAUTH_SKIPPED names a URL allauth lacks"
    assert any(map(is_admin, PATTERNS)), "the admin rule covers nothing: is it still wired?"


MATRIX = [
    pytest.param(p.key, method, id=f"{p.key}-{method}")
    for p in PATTERNS
    for method in ("GET", "POST")
    if (p.key, method) in EXPECT
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("key", "method"), MATRIX)
def test_url(client: Client, world: World, key: str, method: str, role: str) -> None:
    pattern = next(p for p in PATTERNS if p.key == key)
    url = url_of(pattern, world)
    expected = dict(zip(ROLES, EXPECT[key, method], strict=True))[role]
    data = POST_DATA.get(key, lambda w: {})(world) if method == "POST" else {}
    sign_in(client, world, role)
    before = database_state()
    writer = method == "POST" and role in WRITERS.get(key, ())
    guarded = {what: rows(world) for what, (rows, _) in GUARDED.items() if writer}

    response = request(client, method, url, data)

    problem = status_problem(response, expected, url)
    assert problem is None, f"{method} {url} ({key}) as {role}: {problem}"
    changed = changed_tables(before, database_state())
    if not writer:
        assert not changed, f"{method} {url} ({key}) as {role} changed {changed}"
        return
    assert changed, f"POST {url} as {role} (a writer) changed nothing: fix POST_DATA"
    for what, (rows, may_change) in GUARDED.items():
        if not may_change(key, role):
            assert rows(world) == guarded[what], f"{method} {url} as {role} changed {what}"


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_is_for_staff_only(client: Client, world: World, role: str) -> None:
    """Every admin URL: none of the seven roles is staff (coordinators neither), so each is
    sent to the admin's login page, sees no data and changes nothing. The login page
    itself shows its form (200); logging out sends to the admin's index."""
    sign_in(client, world, role)
    before = database_state()
    problems = []
    for pattern in filter(is_admin, PATTERNS):
        url = url_of(pattern, world)
        for method in ("GET", "POST"):
            expected: Status = {"admin:login": 200, "admin:logout": 302}.get(
                pattern.key, ADMIN_LOGIN
            )
            response = request(client, method, url, {"username": "x", "password": "y"})
            if problem := status_problem(response, expected, url):
                problems.append(f"{method} {url} ({pattern.key}): {problem}")
            elif pattern.key == "admin:logout" and response["Location"] != reverse("admin:index"):
                problems.append(f"{method} {url}: sent to {response['Location']}")
    assert not problems, f"as {role}:\n" + "\n".join(problems)
    assert not changed_tables(before, database_state()), f"the admin, as {role}, wrote"


@pytest.mark.parametrize("role", ROLES)
def test_the_rest_of_allauth_is_reachable_by_all(client: Client, world: World, role: str) -> None:
    """allauth pages outside EXPECT: GET answers 200, or 302 (to the login page, or away
    from pages meant for signed-out people), never 403/404/500, and writes nothing.
    ALLAUTH_SKIPPED lists those left out, and why."""
    sign_in(client, world, role)
    before = database_state()
    problems = []
    for pattern in filter(is_allauth, PATTERNS):
        if in_expect(pattern) or pattern.key in ALLAUTH_SKIPPED:
            continue
        url = url_of(pattern, world)
        if (status := client.get(url).status_code) not in (200, 302):
            problems.append(f"GET {url} ({pattern.key}): {status}")
    assert not problems, f"as {role}:\n" + "\n".join(problems)
    assert not changed_tables(before, database_state()), f"allauth, as {role}, wrote"


@pytest.mark.parametrize("role", ROLES)
def test_media_files_in_development(client: Client, world: World, role: str) -> None:
    """DEBUG only: Django serves MEDIA_ROOT (product and farm photos, public by design)
    to everyone; a missing file is a 404 for all."""
    media = [p for p in PATTERNS if is_media(p)]
    if not media:
        pytest.skip("no media URL: DEBUG was off when the URL conf was imported")
    sign_in(client, world, role)
    for pattern in media:
        url = url_of(pattern, world)
        assert url.startswith(settings.MEDIA_URL)
        for method in ("GET", "POST"):
            response = request(client, method, url, {})
            assert response.status_code == 404, f"{method} {url} as {role}"
