"""The stored form of events: a lossless round trip, and one-line errors for any bad shape."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from matchledger.events import EVENT_TYPES, Event, schema_version
from matchledger.ledger import InvalidEvent, parse_json
from matchledger.ledger.codec import converter, decode, encode
from matchledger.ledger.jsontext import dumps, dumps_data, loads

from strategies import events

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)

stored_values = st.recursive(  # what event data holds: no floats
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(stored_values)
def test_the_stored_text_is_the_standard_librarys_compact_json(value: object) -> None:
    """orjson writes it, but big integers and lone surrogates take the standard library's path:
    either way the text is the one ``json`` gives, and it reads back to the same value."""
    assert dumps_data(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert loads(dumps_data(value)) == value


@given(json_values)
def test_any_json_value_is_written_as_json_writes_it_and_reads_back(value: object) -> None:
    assert dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert loads(dumps(value)) == value


def test_bad_json_gets_the_standard_librarys_error() -> None:
    for text in ("{", '{"a": NaN', "[1,]"):
        try:
            json.loads(text)
        except json.JSONDecodeError as expected:
            try:
                loads(text)
            except json.JSONDecodeError as e:
                assert str(e) == str(expected)
            else:
                raise AssertionError(f"{text!r} was read")
    assert loads('{"a": NaN}') == json.loads('{"a": NaN}')  # what json accepts, read the same


@given(events)
def test_every_event_survives_the_stored_json_form(event: Event) -> None:
    type_name, version, data = encode(event)
    assert decode(type_name, version, json.loads(dumps(data))) == event


@given(st.sampled_from(sorted(EVENT_TYPES)), json_values | events.map(lambda e: encode(e)[2]))
def test_decoding_takes_what_the_detailed_converter_takes_and_nothing_else(
        type_name: str, data: object) -> None:
    """``decode`` tries cattrs without detailed validation first: the same events come out,
    and what the detailed converter refuses is refused (by it, naming the field)."""
    cls = EVENT_TYPES[type_name]
    try:
        expected = converter.structure(data, cls)
    except Exception as e:  # noqa: BLE001  (cattrs raises several kinds)
        refused: Exception | None = e
    else:
        refused = None
    try:
        got = decode(type_name, schema_version(type_name), data)  # type: ignore[arg-type]
    except Exception as e:  # noqa: BLE001
        assert refused is not None and type(e) is type(refused), e
    else:
        assert refused is None and got == expected


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
