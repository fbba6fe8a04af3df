"""One registry of the words people read for stored values: an order's status `on-hold`, the
courier `steadfast`, the payment method `bkash`, an SMS's state `failed`.

Each domain keeps its own table in its `labels.py` (lazy_gettext strings, so the words follow the
reader's locale) and registers it under a kind; backend/app.py imports every domain's labels
module and exposes `label(kind, value)` and `labels(kind)` to the templates. A value without a
label is shown as it is (a shop's own order status, a payment gateway Bikri does not know).
"""
from typing import Callable, Mapping

LABELS: dict[str, dict] = {}
# kinds whose label is computed rather than looked up (districts: a code or a name, per locale)
RESOLVERS: dict[str, Callable] = {}


def register(kind: str, table: Mapping) -> Mapping:
    LABELS.setdefault(kind, {}).update(table)
    return table


def register_resolver(kind: str, resolver: Callable) -> Callable:
    RESOLVERS[kind] = resolver
    return resolver


def label(kind: str, value, fallback=None) -> str:
    """The word for `value`; else `fallback` (a shop's own title), else the value itself."""
    if kind in RESOLVERS:
        found = RESOLVERS[kind](value)
        if found:
            return str(found)
    else:
        table = LABELS.get(kind)
        if table is None:
            raise KeyError(f"no labels registered for {kind!r}")
        if value in table:
            return str(table[value])
    if fallback:
        return str(fallback)
    return "" if value is None else str(value)


def labels(kind: str) -> dict[str, str]:
    """value -> word, in the registered order (for a select's options)."""
    return {value: str(word) for value, word in LABELS.get(kind, {}).items()}


def template_globals() -> dict:
    return {"label": label, "labels": labels}
