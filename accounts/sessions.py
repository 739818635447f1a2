"""The session store: Django's database sessions, read by one query compiled once per
process (common.compiled) instead of a queryset built for each request. Writing,
expiry and clearing are Django's. `SESSION_ENGINE = "accounts.sessions"`."""

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.db.models.functions import Now

from common.compiled import CompiledQuery

_READ = CompiledQuery(
    lambda key: Session.objects.filter(session_key=key, expire_date__gt=Now()).values_list(
        "session_data"
    ),
    "key:str",
)


class SessionStore(DatabaseStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        found = _READ.rows(key=key) if key else []
        if not key or not found:
            self._session_key = None
            return None
        return Session(session_key=key, session_data=found[0][0])
