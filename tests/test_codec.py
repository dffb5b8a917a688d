"""The stored form of events: a lossless round trip, and one-line errors for any bad shape."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from events import EVENT_TYPES, Event
from ledger import InvalidEvent, parse_json
from ledger.codec import decode, encode
from ledger.store import dumps

from strategies import events

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(events)
def test_every_event_survives_the_stored_json_form(event: Event) -> None:
    type_name, version, data = encode(event)
    assert decode(type_name, version, json.loads(dumps(data))) == event


@given(st.sampled_from(sorted(EVENT_TYPES)), json_values)
def test_any_data_is_either_an_event_or_one_line_naming_the_problem(
        type_name: str, data: object) -> None:
    line = dumps({"stream": "match:m", "type": type_name, "data": data,
                  "occurred_at": "2024-04-11T19:00:00Z"})
    try:
        parse_json(line)
    except InvalidEvent as e:
        message = str(e)
        assert "\n" not in message
        assert message.startswith(type_name) or message == "field 'data' must be an object"


@given(st.text(max_size=80))
def test_any_text_is_either_json_or_a_malformed_json_error(text: str) -> None:
    try:
        parse_json(text)
    except InvalidEvent as e:
        assert "\n" not in str(e)
