"""Ids and numbers from URLs, forms and JSON bodies, limited to what a database id can be."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Id columns are INTEGER: 32-bit signed on PostgreSQL (64-bit on SQLite). A larger number
# can name no row on either, and PostgreSQL would refuse it with an error, not an empty result.
MAX_ID = 2**31 - 1


class RowId(IntegerConverter):
    """``<int:...>`` in every URL, limited to what a database id can be (larger is a 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def int_arg(raw: str | None, default: int | None = None) -> int | None:
    """Parse an optional integer form or query value; junk, or a number no id can be, gives
    the default."""
    try:
        value = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        return default
    return value if value is None or abs(value) <= MAX_ID else default


def form_ids(values: list[str]) -> list[int]:
    """The ids among a form's repeated values (ticked boxes): plain ASCII digits naming a
    number an id can be; anything else ("²", "1e3", a number past any id) is left out."""
    return [int(v) for v in values if v.isascii() and v.isdigit() and 0 < int(v) <= MAX_ID]


class FieldError(ValueError):
    """A JSON field of the wrong kind; the message names the field and what to send."""


def json_text(data: dict, name: str) -> str:
    """A text field of a JSON body: its string, or "" when it is absent or null. A number, a
    list or an object is refused rather than saved as its Python spelling ("['a']")."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(f'"{name}" must be text in quotes, not {type(value).__name__}.')
    return value


def json_id(value) -> int | None:
    """An id from a JSON body: a whole number an id column can hold (JSON's true and false
    are not numbers here, though Python counts them as ints); anything else is None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None
