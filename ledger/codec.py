"""The one cattrs converter of matchledger: events to JSON-ready dicts and back.

Events are tagged by their stable type name (the class name), never by module path, and fields
left at their default are omitted, which keeps stored rows small.

    >>> from matchledger.events import GoalScored
    >>> encode(GoalScored(team="roma", player="Gianluca Mancini", minute=17))
    ('GoalScored', 2, {'team': 'roma', 'player': 'Gianluca Mancini', 'minute': 17})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn
from cattrs.preconf.json import make_converter

from matchledger.events import ALL_EVENTS, EVENT_TYPES, Event, schema_version, upcast
from matchledger.events.catalogue import Side, TieRules

converter = make_converter(forbid_extra_keys=True)
# the same shapes and checks without cattrs' detailed validation (which gathers every error
# of a bad row, at a quarter of a read's cost): what decoding tries first; a row it refuses
# is decoded again by ``converter``, whose error names the field
_quick = make_converter(forbid_extra_keys=True, detailed_validation=False)


def _exactly(kind: type) -> Callable[[Any, type], Any]:
    """A structure hook taking only a JSON value of ``kind`` itself: cattrs would make 5 of
    5.7, 1 of true and "5" of 5, and the log would keep what was sent, not what was meant.
    (The str hook is the str enums' too: it makes the member of the class asked for.)"""
    def structure(value: Any, cl: type) -> Any:
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise TypeError(f"expected {kind.__name__}, not {type(value).__name__}")
        return value if type(value) is cl else cl(value)

    return structure


for _kind in (int, str, bool):
    converter.register_structure_hook(_kind, _exactly(_kind))
    _quick.register_structure_hook(_kind, _exactly(_kind))
for _cls in (Side, TieRules, *ALL_EVENTS):  # nested classes first: events reuse their hooks
    converter.register_unstructure_hook(
        _cls, make_dict_unstructure_fn(_cls, converter, _cattrs_omit_if_default=True)
    )
    converter.register_structure_hook(
        _cls, make_dict_structure_fn(_cls, converter, _cattrs_forbid_extra_keys=True)
    )
    _quick.register_structure_hook(
        _cls, make_dict_structure_fn(_cls, _quick, _cattrs_forbid_extra_keys=True,
                                     _cattrs_detailed_validation=False)
    )

_UNSTRUCTURE = {cls: converter.get_unstructure_hook(cls) for cls in ALL_EVENTS}
_STRUCTURE = {cls.__name__: converter.get_structure_hook(cls) for cls in ALL_EVENTS}
_QUICK = {cls.__name__: _quick.get_structure_hook(cls) for cls in ALL_EVENTS}
_VERSIONS = {name: schema_version(name) for name in EVENT_TYPES}


def encode(event: Event) -> tuple[str, int, dict[str, Any]]:
    """The stored form of ``event``: its type name, schema version and data."""
    cls = type(event)
    name = cls.__name__
    return name, _VERSIONS[name], _UNSTRUCTURE[cls](event)


def decode(type_name: str, version: int, data: dict[str, Any]) -> Event:
    """The event stored as ``type_name`` at ``version``, upcast to today's shape.

    Raises KeyError for an unknown type and a cattrs error for a bad shape.
    """
    quick = _QUICK[type_name]
    if version != _VERSIONS[type_name]:
        data = upcast(type_name, version, data)
    cls = EVENT_TYPES[type_name]
    try:
        return quick(data, cls)  # type: ignore[no-any-return]
    except Exception:  # a bad shape: the detailed converter says where, or takes it after all
        return _STRUCTURE[type_name](data, cls)  # type: ignore[no-any-return]


def explain(error: Exception) -> str:
    """One line naming the field that failed, for a cattrs structuring error."""
    if isinstance(error, cattrs.ClassValidationError | cattrs.IterableValidationError):
        text = "; ".join(cattrs.transform_error(error))
    else:
        text = str(error)
    return text.replace("\r", "\\r").replace("\n", "\\n")  # one line, whatever the keys
