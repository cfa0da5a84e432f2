"""Reads an optional, typed field of a client's message."""

from __future__ import annotations

from ..envelope import RequestError


def option(item: dict, defaults: dict, key: str, kind: type | tuple[type, ...], what: str | None = None):
    """item[key] (else defaults[key]) when it is of `kind`, None when absent.
    JSON true/false is not taken for a number. Anything else is a 400 that
    says "`key` must be <what>" (default: "of type <kind names>")."""
    value = item.get(key, defaults.get(key))
    if value is None:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        what = what or "of type " + " or ".join(t.__name__ for t in kinds)
        raise RequestError(f"`{key}` must be {what}")
    return value
