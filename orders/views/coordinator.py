from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import coordinator_required

from .. import selectors


@coordinator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "orders/coordinator/dashboard.html",
        {
            "current": selectors.current_window(now=now),
            "upcoming": selectors.next_window(now=now),
            "windows": selectors.windows_with_counts(now=now),
        },
    )
