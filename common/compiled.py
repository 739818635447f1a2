"""A queryset compiled to SQL once per process, then run with new values: for the few
reads every shop page makes, where turning the queryset into SQL costs more than the
database takes to answer (a five-table join of seventy columns: 1.6 ms to compile,
0.7 ms to run).

    STATE = CompiledQuery(
        lambda customer, window: OrderLine.objects.filter(
            order__customer_id=customer, order__window_id=window
        ).values_list("pk", "quantity"),
        "customer",
        "window",
    )
    rows = STATE.rows(customer=7, window=3)

The queryset is built once with a stand-in for each named value (a number no id
takes; a text for a name given as `key:str`) and compiled; each parameter of the SQL
that is a stand-in is replaced by the value given, the others (constants of the
queryset, such as a status) are kept. `rows` are the database
driver's tuples, without Django's conversions (a JSON field is its text): fit for
digests and plain values; `instances` are model instances, converted. Compiled per database vendor.

On PostgreSQL the SQL is also prepared on each connection (PREPARE, once; then
EXECUTE): the server plans it once per connection instead of on every page (a
quarter of a millisecond to half of one for the shop's joins). A new connection
starts with none prepared (`connection_created`). A pooler that shares server
connections between clients (PgBouncer in transaction mode) does not keep them:
set COOP_PREPARED_STATEMENTS=0 there.
"""

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.signals import connection_created
from django.db.models import QuerySet

_numbers = itertools.count(1)


def _forget_prepared(sender: Any, connection: Any, **kwargs: Any) -> None:
    connection.coop_prepared = set()


connection_created.connect(_forget_prepared)


class CompiledQuery:
    def __init__(
        self,
        build: Callable[..., QuerySet[Any, Any]],
        *names: str,
        postgresql_around: str = "",
    ) -> None:
        """`postgresql_around`: on PostgreSQL, a query around the compiled one, which
        it names `{sql}` (for example an aggregate of its rows)."""
        self._build = build
        self._around = postgresql_around
        self._names = [name.removesuffix(":str") for name in names]
        self._texts = {name.removesuffix(":str") for name in names if name.endswith(":str")}
        self._compiled: dict[str, tuple[str, list[tuple[bool, Any]]]] = {}
        self._name = f"coop_compiled_{next(_numbers)}"
        self._parts: dict[str, tuple[Any, dict[int, Any], list[str], list[str]]] = {}

    def _stand_in(self, number: int, name: str) -> Any:
        """A value no id takes, or a text no one types."""
        return f"__coop_stand_in_{name}__" if name in self._texts else -987_654_000 - number

    def _compile(self) -> tuple[str, list[tuple[bool, Any]]]:
        stand_ins = {name: self._stand_in(number, name) for number, name in enumerate(self._names)}
        sql, params = self._build(**stand_ins).query.sql_with_params()
        if self._around and connection.vendor == "postgresql":
            sql = self._around.replace("{sql}", sql)
        by_value = {value: name for name, value in stand_ins.items()}
        slots = [
            (True, by_value[p]) if isinstance(p, int | str) and p in by_value else (False, p)
            for p in params
        ]
        missing = set(self._names) - {name for named, name in slots if named}
        if missing:
            raise ValueError(f"the query does not use {sorted(missing)}")
        return sql, slots

    def sql(self) -> str:
        """The compiled SQL (for a test or a bench)."""
        return self._get()[0]

    def _get(self) -> tuple[str, list[tuple[bool, Any]]]:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile()
        return compiled

    def _params(self, values: dict[str, Any]) -> tuple[str, list[Any]]:
        sql, slots = self._get()
        return sql, [values[name] if named else name for named, name in slots]

    def rows(self, **values: Any) -> Sequence[tuple[Any, ...]]:
        sql, params = self._params(values)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and settings.COOP_PREPARED_STATEMENTS:
                # This thread's connection (`connection` is a proxy shared by threads).
                wrapper = connections[DEFAULT_DB_ALIAS]
                prepared = wrapper.__dict__.setdefault("coop_prepared", set())
                if self._name not in prepared:
                    numbered = sql % tuple(f"${n}" for n in range(1, len(params) + 1))
                    cursor.execute(f"PREPARE {self._name} AS {numbered}")
                    prepared.add(self._name)
                marks = ", ".join(["%s"] * len(params))
                cursor.execute(
                    f"EXECUTE {self._name} ({marks})" if params else f"EXECUTE {self._name}", params
                )
            else:
                cursor.execute(sql, params)
            return cursor.fetchall()

    def instances(self, model: Any, **values: Any) -> list[Any]:
        """The rows as instances of `model` (the queryset must be of that model, all
        its columns), with Django's conversions; annotations become attributes."""
        rows = self.rows(**values)
        compiler, converters, attnames, extras = self._model_parts()
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        count = len(attnames)
        found = []
        for row in rows:
            instance = model.from_db(connection.alias, attnames, row[:count])
            for name, value in zip(extras, row[count:], strict=True):
                setattr(instance, name, value)
            found.append(instance)
        return found

    def _model_parts(self) -> tuple[Any, dict[int, Any], list[str], list[str]]:
        """The compiler of the query, its converters by column, the model's attnames
        and the annotations' names, in the order of the SELECT (once per vendor)."""
        parts = self._parts.get(connection.vendor)
        if parts is None:
            stand_ins = {
                name: self._stand_in(number, name) for number, name in enumerate(self._names)
            }
            query = self._build(**stand_ins).query
            compiler = query.get_compiler(connection=connection)
            compiler.setup_query()
            selected = [column for column, _sql, _alias in compiler.select]
            converters = compiler.get_converters(selected)
            attnames = [f.attname for f in query.get_meta().concrete_fields]
            extras = list(query.annotation_select)
            parts = self._parts[connection.vendor] = (compiler, converters, attnames, extras)
        return parts
