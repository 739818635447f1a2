"""Closing a window: the co-op's week happens here.

`window_close` runs in steps, each safe to repeat, so two workers, a retry, or a crash
midway followed by a rerun all produce one result:

1. claim: a window past its deadline moves to CLOSING (the one conditional UPDATE
   that wins); a window already CLOSING is resumed by whoever runs next;
2. lock the confirmed orders (CONFIRMED → LOCKED);
3. discard the baskets never confirmed and give back any stock they still hold;
3b. take each card order's final amount (`payments.collect.window_collect`: capture the hold,
   or charge the saved card, or email the customer a link); each call is claimed in
   the database before it is made and keyed by our ids, so a rerun never charges twice;
4. build every list and sheet (rebuilt from the locked orders: the same every time);
5. email each farm its list, once: a FarmNotice row is claimed before sending;
6. CLOSED.

Progress is written on the window for the coordinator's dashboard.
"""

import logging
import os
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.mail import DELIVER
from farms.models import Farm
from orders import selectors, services
from orders.basket import basket_give_back_all
from orders.models import FarmNotice, Order, OrderWindow, PickupDocument, PickupPoint
from payments import collect

from . import documents
from .models import Heartbeat

logger = logging.getLogger(__name__)

LIVE = (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN)
LEASE = timedelta(minutes=10)  # a closing job silent this long has died: resume it
RESEND_AFTER = LEASE  # an email claimed this long ago was lost with its worker: resend
MAX_EMAIL_ATTEMPTS = 5


def _progress(window_id: int, percent: int, step: str) -> None:
    OrderWindow.objects.filter(pk=window_id).update(
        close_progress=percent, close_step=step[:100], close_heartbeat=timezone.now()
    )


def heartbeat(*, name: str, now: datetime) -> None:
    """Record that a periodic process showed life (read by /healthz)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now})


def windows_due_run(*, now: datetime) -> dict[str, list[int]]:
    """What the periodic tick does: plan the weeks ahead, open the windows whose time
    has come, close every window past its deadline. The ids opened and closed."""
    services.windows_plan(now=now)
    opened = [
        wid
        for wid in selectors.due_to_open_ids(now=now)
        if services.window_open(window_id=wid, now=now)
    ]
    closed = [
        wid for wid in selectors.due_to_close_ids(now=now) if window_close(window_id=wid, now=now)
    ]
    return {"opened": opened, "closed": closed}


def window_close(*, window_id: int, now: datetime) -> bool:
    """Close the window if its deadline has passed. True if this call closed it.

    Claims the window (or takes over a closing job that has been silent for LEASE),
    so only one worker at a time does the work.
    """
    claimed = OrderWindow.objects.filter(
        Q(status__in=LIVE, closes_at__lte=now)
        | Q(status=OrderWindow.Status.CLOSING, close_heartbeat__lt=timezone.now() - LEASE),
        pk=window_id,
    ).update(
        status=OrderWindow.Status.CLOSING,
        close_progress=1,
        close_step="claimed",
        close_heartbeat=timezone.now(),
    )
    if not claimed:
        return False
    window = OrderWindow.objects.get(pk=window_id)
    with translation.override(settings.LANGUAGE_CODE):
        _progress(window_id, 5, _("locking orders"))
        Order.objects.filter(window_id=window_id, status=Order.Status.CONFIRMED).update(
            status=Order.Status.LOCKED
        )
        _progress(window_id, 10, _("releasing unconfirmed baskets"))
        _discard_baskets(window_id)
        _progress(window_id, 12, _("charging cards"))
        unpaid = collect.window_collect(
            window_id=window_id,
            heartbeat=lambda done, total: _progress(window_id, 12, _("charging cards")),
        )
        _progress(window_id, 15, _("building lists and sheets"))
        build_documents(window=window, progress=True)
        _progress(window_id, 90, _("emailing the farms"))
        notify_farms(window=window, now=now)
        if _emails_outstanding(window):
            # Stay CLOSING: the next tick after the lease tries the failed emails again.
            _progress(window_id, 95, _("some farm emails failed; retrying soon"))
            return False
        if unpaid or collect.outstanding_captures(window_id):
            # Stay CLOSING: Stripe could not be reached for some orders; the next tick
            # after the lease repeats those calls with the same idempotency keys.
            _progress(window_id, 95, _("some card payments could not be taken; retrying soon"))
            return False
    OrderWindow.objects.filter(pk=window_id, status=OrderWindow.Status.CLOSING).update(
        status=OrderWindow.Status.CLOSED, close_progress=100, close_step="done", closed_at=now
    )
    logger.info("window %s closed", window_id)
    return True


def _emails_outstanding(window: OrderWindow) -> bool:
    return FarmNotice.objects.filter(
        Q(status__in=(FarmNotice.Status.PENDING, FarmNotice.Status.SENDING))
        | Q(status=FarmNotice.Status.FAILED, attempts__lt=MAX_EMAIL_ATTEMPTS),
        window=window,
    ).exists()


def _discard_baskets(window_id: int) -> None:
    ids = list(
        Order.objects.filter(window_id=window_id, status=Order.Status.BASKET).values_list(
            "pk", flat=True
        )
    )
    for order_id in ids:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update()
                .filter(pk=order_id, status=Order.Status.BASKET)
                .first()
            )
            if order is None:
                continue
            basket_give_back_all(order)
            order.status = Order.Status.CANCELLED
            order.save(update_fields=["status", "updated_at"])


def build_documents(*, window: OrderWindow, progress: bool = False) -> int:
    """(Re)build every list and sheet of the window; the number of PDF pages."""
    data = documents.window_data(window)
    farm_ids = sorted(data.farms)
    point_ids = sorted(
        {o.point_id for o in data.orders if o.point_id} | set(_active_point_ids(data))
    )
    total = len(farm_ids) + len(point_ids) + 1
    done = 0
    pages = 0
    stem = f"w{window.pk}-{window.pickup_date.isoformat()}"
    for farm_id in farm_ids:
        farm = data.farms[farm_id]
        with translation.override(farm.language):
            pdf, n = documents.farm_list_pdf(data, farm_id)
            csv = documents.farm_list_csv(data, farm_id)
        pages += n
        _store(
            window,
            PickupDocument.Kind.FARM_LIST,
            f"{stem}-farm-{farm.slug}",
            csv,
            pdf,
            n,
            farm_id=farm_id,
        )
        done += 1
        if progress and done % 5 == 0:
            _progress(window.pk, 15 + 75 * done // total, _("building lists and sheets"))
    for point_id in point_ids:
        point = data.points[point_id]
        pdf, n = documents.point_sheet_pdf(data, point_id)
        pages += n
        _store(
            window,
            PickupDocument.Kind.POINT_SHEET,
            f"{stem}-point-{point.slug}",
            documents.point_sheet_csv(data, point_id),
            pdf,
            n,
            pickup_point_id=point_id,
        )
        done += 1
        if progress:
            _progress(window.pk, 15 + 75 * done // total, _("building lists and sheets"))
    _store(
        window, PickupDocument.Kind.SUMMARY, f"{stem}-summary", documents.summary_csv(data), b"", 0
    )
    return pages


def documents_rebuild(*, window_id: int) -> int:
    """Rebuild a closed window's lists and sheets while they are out of date (after a
    shortage or a cancellation); no email. Runs outside any transaction: no row stays
    locked while PDFs are written, and each file is complete before its row points to
    it, so a download meanwhile gets the last complete file. One task at a time holds
    the work (a claim with a lease); a change arriving meanwhile is built next.
    Returns the number of PDF pages written."""
    pages = 0
    while True:
        now = timezone.now()
        claimed = OrderWindow.objects.filter(
            Q(documents_claimed_at__isnull=True) | Q(documents_claimed_at__lt=now - LEASE),
            pk=window_id,
            status=OrderWindow.Status.CLOSED,
            documents_wanted_at__isnull=False,
        ).update(documents_claimed_at=now)
        if not claimed:
            return pages  # nothing to do, or another task is at it (it loops for us)
        window = OrderWindow.objects.get(pk=window_id)
        wanted = window.documents_wanted_at
        try:
            pages += build_documents(window=window)
            OrderWindow.objects.filter(pk=window_id, documents_wanted_at=wanted).update(
                documents_wanted_at=None
            )
        finally:
            OrderWindow.objects.filter(pk=window_id).update(documents_claimed_at=None)
        # A change committed while this build ran asks again: build it now.
        if not OrderWindow.objects.filter(pk=window_id, documents_wanted_at__isnull=False).exists():
            return pages


def _active_point_ids(data: documents.WindowData) -> list[int]:
    return [pk for pk, point in data.points.items() if point.is_active]


def _store(
    window: OrderWindow,
    kind: str,
    name: str,
    csv: bytes,
    pdf: bytes,
    pages: int,
    farm_id: int | None = None,
    pickup_point_id: int | None = None,
) -> PickupDocument:
    document, _created = PickupDocument.objects.get_or_create(
        window=window,
        kind=kind,
        farm=Farm.objects.get(pk=farm_id) if farm_id else None,
        pickup_point=PickupPoint.objects.get(pk=pickup_point_id) if pickup_point_id else None,
    )
    # Old files go only once the new rows are committed: a rollback never leaves a row
    # pointing at a deleted file.
    stale = [f.name for f in (document.csv, document.pdf) if f.name]
    document.csv.save(f"{name}.csv", ContentFile(csv), save=False)
    if pdf:
        document.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
    document.pages = pages
    document.save()
    kept = {document.csv.name, document.pdf.name}
    storage = document.csv.storage

    def delete_stale() -> None:
        for old in stale:
            if old not in kept and storage.exists(old):
                storage.delete(old)

    transaction.on_commit(delete_stale)
    return document


def notify_farms(*, window: OrderWindow, now: datetime) -> int:
    """Email each farm of the window its pickup list, once ever. The number sent now."""
    farm_ids = set(
        Farm.objects.filter(Q(products__offers__window=window)).values_list("pk", flat=True)
    )
    for farm_id in farm_ids:
        FarmNotice.objects.get_or_create(window=window, farm_id=farm_id)
    sent = 0
    lists = {
        d.farm_id: d
        for d in PickupDocument.objects.filter(window=window, kind=PickupDocument.Kind.FARM_LIST)
    }
    for notice in FarmNotice.objects.filter(window=window).select_related("farm").order_by("pk"):
        claimed = FarmNotice.objects.filter(
            Q(status=FarmNotice.Status.PENDING)
            | Q(status=FarmNotice.Status.FAILED, attempts__lt=MAX_EMAIL_ATTEMPTS)
            | Q(status=FarmNotice.Status.SENDING, claimed_at__lt=timezone.now() - RESEND_AFTER),
            pk=notice.pk,
        ).update(status=FarmNotice.Status.SENDING, claimed_at=timezone.now())
        if not claimed:
            continue
        try:
            _send_farm_email(window=window, farm=notice.farm, document=lists.get(notice.farm_id))
        except Exception:
            logger.exception("window %s: email to farm %s failed", window.pk, notice.farm_id)
            FarmNotice.objects.filter(pk=notice.pk).update(
                status=FarmNotice.Status.FAILED, attempts=F("attempts") + 1
            )
            continue
        FarmNotice.objects.filter(pk=notice.pk).update(
            status=FarmNotice.Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
        )
        sent += 1
        # A heartbeat per email: a slow mail server must not look like a dead job.
        OrderWindow.objects.filter(pk=window.pk).update(close_heartbeat=timezone.now())
    return sent


def _send_farm_email(*, window: OrderWindow, farm: object, document: PickupDocument | None) -> None:
    assert isinstance(farm, Farm)  # noqa: S101
    recipients = (
        [farm.email] if farm.email else list(farm.members.values_list("user__email", flat=True))
    )
    if not recipients:
        raise ValueError(f"farm {farm.pk} has no email address")
    has_orders = bool(document and document.pages and _has_orders(window, farm.pk))
    with translation.override(farm.language):
        context = {
            "farm": farm,
            "window": window,
            "has_orders": has_orders,
            "coop_name": settings.COOP_NAME,
        }
        subject = render_to_string("pickup/email/farm_list_subject.txt", context).strip()
        body = render_to_string("pickup/email/farm_list.txt", context)
    message = EmailMessage(subject=subject, body=body, to=recipients)
    if has_orders and document is not None:
        for file, mimetype in ((document.pdf, "application/pdf"), (document.csv, "text/csv")):
            with file.open("rb") as handle:
                message.attach(os.path.basename(file.name or ""), handle.read(), mimetype)
    message.send(using=DELIVER)  # the close keeps its own retries (FarmNotice)


def _has_orders(window: OrderWindow, farm_id: int) -> bool:
    return Order.objects.filter(
        window=window,
        status__in=Order.CLOSED_STATUSES,
        lines__offer__product__farm_id=farm_id,
    ).exists()
