"""The week's audit trail: who closed it, cancelled an order, recorded a shortage,
entered an order for a customer, sold at the table or changed a price after orders
were placed, and when. Written inside the service's transaction, so an action that
rolls back leaves no trace; never deleted (a week's page shows its events)."""

from django.db.models import QuerySet

from accounts.models import User

from .models import AuditEvent

Action = AuditEvent.Action


def audit_record(
    *,
    window_id: int,
    action: str,
    by: User | None,
    order_id: int | None = None,
    detail: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        window_id=window_id,
        action=action,
        actor=by,
        actor_name=str(by) if by else "",
        order_id=order_id,
        detail=detail[:300],
    )


def window_events(*, window_id: int, limit: int = 200) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(window_id=window_id).select_related("order")[:limit]
