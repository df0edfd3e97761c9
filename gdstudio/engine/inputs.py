"""Looking at values a user gave without being hurt by them.

A scenario arrives as arbitrary JSON: integers too large for a float (where
``float()`` and ``math.isfinite`` raise OverflowError, and ``str()`` refuses
past 4300 digits), strings with lone surrogates (which UTF-8 cannot encode),
lists nested deeper than ``repr`` can recurse. Validators use these helpers, so
each of those is an ordinary refusal with a message rather than an exception.
"""

from __future__ import annotations

import math
from typing import Any

SHOWN_CHARS = 40
"""Longest text quoted back in a message."""


def finite_float(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a finite number.

    Booleans are not numbers here (JSON's ``true`` is not 1); integers past the
    float range and NaN or infinities give None.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text`` (not encodable as UTF-8), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def field_path(where: str, key: Any) -> str:
    """The field path of ``key`` inside ``where``: ``where.key``, or ``where[<key>]`` with
    the key described when it is not a plain name (too long, odd characters, not text)."""
    if not (isinstance(key, str) and key.isidentifier() and len(key) <= SHOWN_CHARS):
        return f"{where}[{describe(key)}]"
    return f"{where}.{key}" if where else key


def describe(value: Any) -> str:
    """A short, printable rendering of any value for an error message.

    JSON spelling for scalars, a count for containers, quoted text cut at
    :data:`SHOWN_CHARS` with surrogates and control characters escaped, and the
    size (not the digits) of huge integers.
    """
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        if abs(value) < 10**15:
            return str(value)
        digits = int(value.bit_length() * math.log10(2)) + 1
        return f"an integer of about {digits} digits"
    if isinstance(value, float):
        return f"{value!r} (beyond float64's range)" if math.isinf(value) else repr(value)
    if isinstance(value, str):
        shown = value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"
        return repr(shown)
    if isinstance(value, list | tuple):
        return f"a list of {_count(len(value), 'item')}"
    if isinstance(value, dict):
        return f"an object with {_count(len(value), 'key')}"
    return type(value).__name__


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
