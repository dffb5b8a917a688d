"""JSON text in and out of the ledger. Event data, written and read on every append and
replay, goes through orjson (three to five times the standard library's speed); what orjson
refuses or would read otherwise (integers beyond 64 bits, NaN, lone surrogates) takes the
standard library's path, so the text, the values and the errors stay what ``json`` gives.

    >>> dumps_data({"match": "qf1", "minute": 90, "player": "Scamacca", "è": None})
    '{"match":"qf1","minute":90,"player":"Scamacca","è":null}'
    >>> loads('{"goals": [1, 2]}')
    {'goals': [1, 2]}
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# orjson reads an integer beyond 64 bits as a float: a text with 19 digits in a row, which
# might hold one, is the standard library's to read
_LONG_DIGITS = re.compile(r"[0-9]{19}").search


def dumps(value: Any) -> str:
    """Compact JSON, keys in their order, non-ASCII as is: the text the ledger stores and
    hashes. A value with a float is the standard library's to write (orjson writes an
    infinite one as null, and some others in another form)."""
    return _ENCODER.encode(value) if _has_float(value) else dumps_data(value)


def _has_float(value: Any) -> bool:
    kind = type(value)
    if kind is str:  # most values: say so first
        return False
    if kind is dict:
        return any(map(_has_float, value.values()))
    if kind is list or kind is tuple:
        return any(map(_has_float, value))
    return isinstance(value, float)


def dumps_data(data: Any) -> str:
    """``dumps`` of what this code builds (event data, the views' JSON), without looking for
    floats first: neither the event catalogue nor a view has any."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # orjson.JSONEncodeError is one: an integer beyond 64 bits, a surrogate
        return _ENCODER.encode(data)


def loads(text: str) -> Any:
    """The value of a JSON text: ``json.loads``'s answer or error, fast."""
    if _LONG_DIGITS(text):
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            return json.loads(text)
        except RecursionError:  # orjson stops at 1,024 levels; json recurses until it fails
            raise json.JSONDecodeError("nested too deeply", text, 0) from None
