"""Old stored shapes lifted to the current one, by small pure functions on the stored dict.

Stored rows are never rewritten: the ledger applies the chain on read, before structuring.

    >>> upcast("GoalScored", 1, {"team": "roma", "minute": "90+3", "penalty": True})
    {'team': 'roma', 'minute': 90, 'added': 3, 'kind': 'penalty'}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = dict[str, Any]


def upcast_goal_scored_v1_v2(data: Data) -> Data:
    """v1 wrote the minute as text ("90+3") and two flags; v2 splits minute/added and has a kind."""
    data = dict(data)
    minute = data.pop("minute", None)
    if isinstance(minute, str):
        base, _, added = minute.partition("+")
        data["minute"] = int(base)
        if added:
            data["added"] = int(added)
    elif minute is not None:
        data["minute"] = minute
    own_goal = data.pop("own_goal", False)
    penalty = data.pop("penalty", False)
    data["kind"] = "own_goal" if own_goal else "penalty" if penalty else "open_play"
    return data


# (type name, stored version) -> function lifting that shape one version up
UPCASTERS: dict[tuple[str, int], Callable[[Data], Data]] = {
    ("GoalScored", 1): upcast_goal_scored_v1_v2,
}

# the version each type is written at today; absent means 1
SCHEMA_VERSIONS: dict[str, int] = {"GoalScored": 2}


def schema_version(type_name: str) -> int:
    return SCHEMA_VERSIONS.get(type_name, 1)


def upcast(type_name: str, version: int, data: Data) -> Data:
    """Lift ``data`` stored at ``version`` to the current shape of ``type_name``; a version
    this code does not know (newer, below 1, not an integer) is a ValueError, never taken
    for the current one."""
    current = schema_version(type_name)
    if type(version) is not int or not 1 <= version <= current:
        raise ValueError(f"unknown schema_version {version!r} of {type_name} (this version "
                         f"knows 1 to {current})")
    while version < current:
        data = UPCASTERS[(type_name, version)](data)
        version += 1
    return data
