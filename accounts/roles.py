"""Who may see what. Three roles:

- customer: anyone signed in;
- farmer: a user with a FarmMember row for one or more farms;
- coordinator: a member of the ``Coordinators`` group (or a superuser).

Pages that a role may not see answer 404 for data of someone else (so ids leak
nothing) and 403 for a whole area the user has no role in.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from .models import User

View = Callable[..., HttpResponseBase]


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind login_required (for type checkers)."""

    user: User
    htmx: HtmxDetails


def coordinator_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_coordinator:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def farmer_required(view: View) -> View:
    """Farmers, and coordinators (who may act for any farm)."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (request.user.is_farmer or request.user.is_coordinator):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
