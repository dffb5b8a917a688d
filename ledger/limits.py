"""The bounds of what the ledger admits: times, numbers, text and sizes, in one place.

Every input path (the command line, ``append json``, JSON Lines and the openfootball
importers, the Python API) meets these at the door, so that nothing accepted can make the
ledger unreadable later: a time SQLite or ``datetime`` cannot hold, an integer beyond 64 bits,
a lone surrogate that no UTF-8 text can carry, a megabyte where a name belongs.

    >>> import datetime as dt
    >>> check_time(dt.datetime(2024, 4, 11, 21, tzinfo=dt.UTC), "occurred_at").year
    2024
    >>> check_time(dt.datetime(1, 1, 1, tzinfo=dt.UTC), "--as-of")
    Traceback (most recent call last):
    ...
    ledger.errors.OutOfBounds: --as-of: 0001-01-01T00:00:00+00:00 is outside the years 1850 to 2200
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from typing import Any

import attrs

from matchledger.events import Event
from matchledger.ledger.errors import OutOfBounds

FIRST_YEAR, LAST_YEAR = 1850, 2200  # of any time or date the ledger holds or is asked about
EARLIEST = dt.datetime(FIRST_YEAR, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.UTC)  # the first moment past the range
MAX_POSITION = 2**63 - 1  # SQLite's largest integer: positions, versions, counts asked for
MAX_NUMBER = 9_999  # either way, any number an event holds: minutes, scores, legs, points
MAX_ID = 100  # characters of an event id, and of the id of a stream, match, tie, competition
MAX_NAME = 200  # characters of a team's or player's name, an alias, a round, season, venue
MAX_TEXT = 2_000  # characters of a reason or a source
MAX_ITEMS = 100  # aliases of one registration
MAX_META = 10_000  # characters of an event's meta as JSON text
MAX_DEPTH = 16  # levels of objects and lists in meta

# fields of the catalogue that hold ids, and those that hold free text; the rest are names
_LIMITS = {**dict.fromkeys(("competition", "tie", "match", "winner_of", "goal", "event"), MAX_ID),
           **dict.fromkeys(("reason", "source"), MAX_TEXT)}
_SURROGATE = re.compile("[\ud800-\udfff]").search


def check_time(moment: dt.datetime, field: str) -> dt.datetime:
    """``moment`` if it lies within the years the ledger holds, else a one-line refusal."""
    if not EARLIEST <= moment < END:
        raise OutOfBounds(f"{field}: {moment.isoformat()} is outside the years {FIRST_YEAR} "
                           f"to {LAST_YEAR}")
    return moment


def check_text(text: str, field: str, limit: int = MAX_NAME) -> str:
    """``text`` if it is Unicode that UTF-8 can carry and at most ``limit`` characters long."""
    if len(text) <= limit and text.isascii():  # nearly always, and quick to tell
        return text
    if len(text) > limit:
        raise OutOfBounds(f"{field}: {len(text):,} characters, more than the {limit:,} "
                           "allowed")
    found = _SURROGATE(text)
    if found:
        code = ord(found.group())
        byte = f" or the byte 0x{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else ""
        raise OutOfBounds(f"{field}: not UTF-8 text (a lone surrogate, U+{code:04X}{byte}, "
                          f"at character {found.start() + 1})")
    return text


def check_draft(event_id: str, event: Event, meta: Mapping[str, Any],
                occurred_at: dt.datetime, recorded_at: dt.datetime | None) -> None:
    """Refuse an event whose envelope or fields are out of bounds: the one check every
    append and import passes before the rules are asked. (A time without its offset is the
    store's to refuse, saying so.)"""
    if isinstance(event_id, str):
        check_text(event_id, "event_id", MAX_ID)
    for moment, field in ((occurred_at, "occurred_at"), (recorded_at, "recorded_at")):
        if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
            check_time(moment, field)
    if attrs.has(type(event)):
        _check_fields(event, "")
    if meta:
        _check_meta(meta)


_FIELDS: dict[type, tuple[str, ...]] = {}  # the attrs fields of each class checked


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(a.name for a in attrs.fields(cls))
    return names


def _check_fields(value: Any, path: str) -> None:
    """Every field of an event (or of the rules or a side within it) within bounds; the
    common kinds (text, small numbers, none, choices) checked inline, as appends are many."""
    for name in _fields(type(value)):
        field = getattr(value, name)
        kind = type(field)
        if kind is str:
            check_text(field, path + name, _LIMITS.get(name, MAX_NAME))
        elif kind is int:
            if not -MAX_NUMBER <= field <= MAX_NUMBER:
                _check_value(field, path + name, name)
        elif field is not None and kind is not bool and not isinstance(field, enum.Enum):
            _check_value(field, path + name, name)


def _check_value(value: Any, field: str, name: str) -> None:
    if isinstance(value, str):
        check_text(value, field, _LIMITS.get(name, MAX_NAME))
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -MAX_NUMBER <= value <= MAX_NUMBER:
            raise OutOfBounds(f"{field}: {value} is out of range (at most {MAX_NUMBER:,} "
                               "either way)")
    elif isinstance(value, dt.datetime):
        check_time(value, field)
    elif isinstance(value, dt.date):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise OutOfBounds(f"{field}: {value.isoformat()} is outside the years "
                               f"{FIRST_YEAR} to {LAST_YEAR}")
    elif isinstance(value, tuple):
        if len(value) > MAX_ITEMS:
            raise OutOfBounds(f"{field}: {len(value):,} items, more than the {MAX_ITEMS} "
                               "allowed")
        for i, item in enumerate(value):
            if item is not None:
                _check_value(item, f"{field}[{i}]", name)
    elif attrs.has(type(value)):
        _check_fields(value, f"{field}.")


def _check_meta(meta: Mapping[str, Any]) -> None:
    """Meta is a small JSON object of text: bounded in size and depth, UTF-8 throughout."""
    size = 0

    def walk(value: Any, depth: int) -> None:
        nonlocal size
        if depth > MAX_DEPTH:
            raise OutOfBounds(f"meta: nested more than {MAX_DEPTH} levels deep")
        items: Any = ()
        if isinstance(value, Mapping):
            items = [*value.keys(), *value.values()]
        elif isinstance(value, list | tuple):
            items = value
        elif isinstance(value, str):
            check_text(value, "meta", MAX_META)
            size += len(value)
        else:
            size += 8  # a number, a boolean or null: a few characters of JSON
        if size > MAX_META:
            raise OutOfBounds(f"meta: more than the {MAX_META:,} characters allowed")
        for item in items:
            walk(item, depth + 1)

    walk(meta, 1)
