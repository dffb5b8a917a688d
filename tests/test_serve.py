"""The web server in process: every API route, every error code, the live feed and its resume.

Reads go through ``projections.query`` as the CLI's do, so the API's JSON is compared with
what ``--json`` prints for the same question.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from serving import AUTH, SF1, TOKEN, demo_ledger, running
from typer.testing import CliRunner

from matchledger.cli.main import app as cli_app
from matchledger.cli.server import BODY_LIMIT, make_app
from matchledger.ledger import Ledger

KICK_OFF = {"what": "kick-off", "at": "2024-05-02T21:00+02:00"}


@pytest.fixture(scope="module")
def ready_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's ledger with its first semi-final ready for a kick-off, made once."""
    return demo_ledger(tmp_path_factory.mktemp("template") / "demo.db")


@pytest.fixture
def demo_db(ready_template: Path, tmp_path: Path) -> Path:
    """A copy of the ready demo ledger of its own (closed, so the file is the whole of it)."""
    path = tmp_path / "demo.db"
    shutil.copyfile(ready_template, path)
    return path


@pytest.fixture
def client(demo_db: Path) -> Iterator[TestClient]:
    with TestClient(make_app(demo_db, TOKEN), raise_server_exceptions=False) as c:
        yield c


def head(db: Path) -> int:
    with Ledger(db) as lg:
        return lg.head()


def cli_json(db: Path, *args: str) -> Any:
    done = CliRunner().invoke(cli_app, [*args, "--json", "--db", str(db)])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


# --- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "command"), [
    ("/api/competitions/uel-2023-24/bracket?as_of=2024-04-12",
     ["bracket", "uel-2023-24", "--as-of", "2024-04-12"]),
    ("/api/competitions/uel-2023-24/table?known_at=2024-04-12T10:00",
     ["table", "uel-2023-24", "--known-at", "2024-04-12T10:00"]),
    ("/api/matches/uel24-qf4-leg2", ["score", "uel24-qf4-leg2"]),
    ("/api/matches/uel24-qf2-leg1?at_position=40", ["score", "uel24-qf2-leg1",
                                                     "--at-position", "40"]),
    ("/api/ties/QF4?as_of=2024-04-12", ["tie", "QF4", "--as-of", "2024-04-12"]),
    ("/api/matches?team=Atalanta&status=finished&from=2024-04-11",
     ["matches", "--team", "Atalanta", "--status", "finished", "--from", "2024-04-11"]),
    ("/api/teams", ["teams"]),
    ("/api/teams?competition=uel-2023-24", ["teams", "--competition", "uel-2023-24"]),
    ("/api/teams/Leverkusen/streaks?as_of=2024-04-15",
     ["streaks", "Leverkusen", "--as-of", "2024-04-15"]),
    ("/api/streaks", ["streaks"]),
    ("/api/players?team=Atalanta", ["players", "--team", "Atalanta"]),
    ("/api/players?competition=uel-2023-24&top=5",
     ["players", "--competition", "uel-2023-24", "--top", "5"]),
])
def test_a_read_answers_what_the_cli_prints_with_json(
        client: TestClient, demo_db: Path, path: str, command: list[str]) -> None:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.json() == cli_json(demo_db, *command)


def test_the_other_reads_answer(client: TestClient) -> None:
    matches = client.get("/api/matches?competition=uel-2023-24").json()
    assert {"uel24-qf4-leg2", SF1} <= {m["match"] for m in matches}
    assert client.get("/api/matches").json()[-1]["match"] == "uel24-final"
    record = client.get("/api/teams/roma/record?competition=uel-2023-24").json()
    assert (record["team"], record["played"], record["won"]) == ("roma", 2, 2)
    assert client.get("/api/teams/roma/record").json()["played"] >= 2
    log = client.get("/api/log?after=140&limit=2").json()
    assert [e["position"] for e in log] == [141, 142]
    assert set(log[0]) >= {"event_id", "stream", "version", "type", "data", "hash"}
    one = client.get("/api/log?stream=match:uel24-qf4-leg2&limit=1").json()
    assert [e["stream"] for e in one] == ["match:uel24-qf4-leg2"]


API_ROUTES = {
    "/api/matches", "/api/matches/{match}", "/api/ties/{tie}",
    "/api/competitions/{competition}/bracket", "/api/competitions/{competition}/table",
    "/api/teams", "/api/teams/{team}/record", "/api/teams/{team}/streaks", "/api/streaks",
    "/api/players", "/api/log", "/api/feed", "/api/events",
    *(f"/api/matches/{{match}}/{kind}"
      for kind in ("goal", "card", "sub", "kick", "whistle", "disallow", "retract", "amend")),
}


def test_the_openapi_document_describes_every_api_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == API_ROUTES
    writes = {path for path, ops in spec["paths"].items() if "post" in ops}
    assert writes == {p for p in API_ROUTES if p.endswith((
        "events", "goal", "card", "sub", "kick", "whistle", "disallow", "retract", "amend"))}
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("path", ["/", "/matches/uel24-qf4-leg2", "/matches/uel24-qf4-leg2/part",
                                  "/competitions/uel-2023-24",
                                  "/competitions/uel-2023-24/part?as_of=2024-04-12",
                                  "/teams/leverkusen", f"/console/{SF1}",
                                  "/static/app.js", "/static/style.css"])
def test_every_page_renders(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    # everything is served by the package itself: it works offline
    assert 'src="http' not in answer.text and 'href="http' not in answer.text


def test_the_competition_page_as_of_12_april_shows_the_quarter_finals_open(
        client: TestClient) -> None:
    page = client.get("/competitions/uel-2023-24/part?as_of=2024-04-12").text
    assert "still open: QF1, QF2, QF3, QF4, SF1, SF2" in page
    assert "Benfica or Marseille" in page and "Liverpool or Atalanta" in page


@pytest.mark.parametrize(("path", "status", "said"), [
    ("/api/matches/nope", 404, "unknown match 'nope'"),
    ("/api/competitions/cup/bracket", 404, "unknown competition 'cup'"),
    ("/api/teams/Marsielle/streaks", 404, "did you mean 'Marseille'"),
    ("/api/competitions/uel-2023-24/table?group=Group+Z", 404, "no round 'Group Z'"),
    ("/api/matches?as_of=yesterday-ish", 400, "as_of: 'yesterday-ish' is not a date"),
    ("/api/matches?status=over", 400, "status: 'over' is not one of scheduled, live"),
    ("/api/matches/uel24-qf4-leg2?at_position=-1", 400, "at_position"),
    ("/api/log?limit=0", 400, "limit"),
    ("/matches/nope", 404, "unknown match"),
])
def test_a_bad_read_is_one_line_with_its_status(
        client: TestClient, path: str, status: int, said: str) -> None:
    answer = client.get(path)
    assert answer.status_code == status
    assert said in answer.json()["error"]
    assert "\n" not in answer.json()["error"]


# --- writes ----------------------------------------------------------------------------------


def post(client: TestClient, route: str, body: Any, **headers: str) -> httpx.Response:
    answer: httpx.Response = client.post(f"/api/matches/{SF1}/{route}", json=body,
                                         headers={**AUTH, **headers})
    return answer


def test_typed_appends_go_through_the_judge_and_answer_the_score(
        client: TestClient, demo_db: Path) -> None:
    answer = post(client, "whistle", KICK_OFF)
    assert answer.status_code == 201, answer.text
    assert [a["type"] for a in answer.json()["appended"]] == ["MatchStarted", "PeriodStarted"]
    goal = post(client, "goal", {"team": "Marseille", "player": "Mbemba", "minute": 11,
                                 "at": "2024-05-02T21:11+02:00"})
    assert goal.status_code == 201
    assert goal.json()["score"]["score"] == [1, 0]
    card = post(client, "card", {"team": "Atalanta", "player": "Scalvini", "minute": 20,
                                 "at": "2024-05-02T21:20+02:00"})
    assert card.status_code == 201  # the roster's spelling of the name typed
    assert card.json()["score"]["cards"][0]["player"] == "Giorgio Scalvini"
    assert post(client, "disallow", {"goal": "last", "reason": "VAR",
                                     "at": "2024-05-02T21:13+02:00"}).status_code == 201
    assert client.get(f"/api/matches/{SF1}").json()["score"] == [0, 0]
    retract = post(client, "retract", {"event": "last", "reason": "typed in error",
                                       "at": "2024-05-02T21:25+02:00"})
    assert retract.status_code == 201
    assert post(client, "whistle", {"what": "half-time",
                                    "at": "2024-05-02T21:47+02:00"}).status_code == 201
    # "last" was the disallowing, so retracting it lets the goal stand again
    assert client.get(f"/api/matches/{SF1}").json()["half_time"] == [1, 0]
    # the typed routes and the CLI agree on what the match now is
    assert client.get(f"/api/matches/{SF1}").json() == cli_json(demo_db, "score", SF1)


def test_the_generic_route_takes_any_event_as_json(client: TestClient) -> None:
    post(client, "whistle", KICK_OFF)
    answer = client.post("/api/events", headers=AUTH, json={
        "stream": f"match:{SF1}", "type": "GoalScored",
        "data": {"team": "atalanta", "player": "Lookman", "minute": 30},
        "occurred_at": "2024-05-02T21:30:00+02:00"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["score"]["score"] == [0, 1]


def test_an_event_id_seen_before_answers_200_with_the_original_position(
        client: TestClient, demo_db: Path) -> None:
    post(client, "whistle", KICK_OFF)
    body = {"team": "Marseille", "minute": 5, "at": "2024-05-02T21:05+02:00",
            "event_id": "6f1c2a4e-0000-4000-8000-000000000001"}
    first = post(client, "goal", body)
    assert first.status_code == 201
    before = head(demo_db)
    again = post(client, "goal", body)
    assert again.status_code == 200
    assert again.json()["appended"][0]["position"] == first.json()["appended"][0]["position"]
    assert again.json()["appended"][0]["new"] is False
    assert head(demo_db) == before


def test_a_substitution_and_an_amendment_go_through_the_judge(
        client: TestClient, demo_db: Path) -> None:
    post(client, "whistle", KICK_OFF)
    goal = post(client, "goal", {"team": "Marseille", "player": "Mbemba", "minute": 11,
                                 "at": "2024-05-02T21:11+02:00"})
    goal_id = goal.json()["appended"][0]["event_id"]
    sub = post(client, "sub", {"team": "Marseille", "off": "Mbemba", "on": "Vitinha",
                               "minute": 30, "at": "2024-05-02T21:30+02:00"})
    assert sub.status_code == 201, sub.text
    assert [a["type"] for a in sub.json()["appended"]] == ["SubstitutionMade"]
    before = head(demo_db)
    refused = post(client, "amend", {"event": goal_id[:8], "player": "Vitinha",
                                     "reason": "official report"})
    assert refused.status_code == 422
    assert "he cannot come on at 30'" in refused.json()["error"]
    assert head(demo_db) == before
    amend = post(client, "amend", {"event": goal_id[:8], "player": "Aubameyang", "minute": 12,
                                   "reason": "official report"})
    assert amend.status_code == 201, amend.text
    assert [a["type"] for a in amend.json()["appended"]] == ["EventRetracted", "GoalScored"]
    (line,) = amend.json()["score"]["goals"]
    assert ("Aubameyang" in line["player"], line["minute"],
            amend.json()["score"]["score"]) == (True, 12, [1, 0])
    # the routes and the CLI agree on what the match now is
    assert client.get(f"/api/matches/{SF1}").json() == cli_json(demo_db, "score", SF1)


@pytest.mark.parametrize("ref", ["original", "last"])
def test_an_amendment_sent_again_answers_200_with_the_original_positions(
        client: TestClient, demo_db: Path, ref: str) -> None:
    post(client, "whistle", KICK_OFF)
    goal = post(client, "goal", {"team": "Marseille", "minute": 5,
                                 "at": "2024-05-02T21:05+02:00"})
    body = {"event": goal.json()["appended"][0]["event_id"], "player": "Mbemba",
            "reason": "report"}
    first = post(client, "amend", body)
    assert first.status_code == 201
    before = head(demo_db)
    again = post(client, "amend", body | ({"event": "last"} if ref == "last" else {}))
    assert again.status_code == 200, again.text
    assert [(a["position"], a["new"]) for a in again.json()["appended"]] == [
        (a["position"], False) for a in first.json()["appended"]]
    assert head(demo_db) == before
    # another amendment of the same goal is not a resend: it is judged afresh
    other = post(client, "amend", body | {"event": "last", "reason": "another report"})
    assert other.status_code == 422 and "changes nothing" in other.json()["error"]


def test_a_substitution_sent_again_answers_200_with_the_original_position(
        client: TestClient, demo_db: Path) -> None:
    post(client, "whistle", KICK_OFF)
    body = {"team": "Atalanta", "off": "Scamacca", "on": "De Ketelaere", "minute": 40,
            "at": "2024-05-02T21:40+02:00", "event_id": "6f1c2a4e-0000-4000-8000-000000000002"}
    first = post(client, "sub", body)
    assert first.status_code == 201, first.text
    before = head(demo_db)
    again = post(client, "sub", body)
    assert again.status_code == 200
    assert again.json()["appended"] == [{**first.json()["appended"][0], "new": False}]
    assert head(demo_db) == before


@pytest.mark.parametrize(("route", "body", "status", "said"), [
    ("goal", {"team": "Marseille", "minute": 3, "now": True}, 422, "goal before kick-off"),
    ("sub", {"team": "Marseille", "off": "Mbemba", "on": "Vitinha", "now": True}, 422,
     "substitution before kick-off"),
    ("goal", {"team": "Marseille", "minute": 3}, 422,
     'match uel24-sf1-leg1 is not live now: it kicks off at 2024-05-02T21:00:00+02:00; give '
     '"at" for when it happened (or "now": true if it is happening now)'),
    ("goal", {"team": "Atalanta", "player": "Lookmann", "now": True}, 422,
     "no player 'Lookmann' in Atalanta's roster: did you mean 'Ademola Lookman'?"),
    ("amend", {"reason": "report", "player": "Mbemba"}, 422,
     "no goal, card or kick in uel24-sf1-leg1"),
    ("sub", {"team": "Marseille", "off": "Mbemba"}, 400, "on: Field required"),
    ("amend", {"player": "Mbemba"}, 400, "reason: Field required"),
    ("amend", {"reason": "report", "event_id": "x"}, 400, "event_id"),
    ("amend", {"reason": "report", "kind": "volley"}, 400, "kind"),
    ("kick", {"team": "Marseille", "outcome": "scored", "now": True}, 422,
     "outside a shoot-out"),
    ("goal", {"team": "Marsielle", "now": True}, 422, "did you mean"),
    ("whistle", {"what": "end"}, 422, "no period is under way"),
    ("retract", {"event": "deadbeef", "reason": "x"}, 422, "no event id starting"),
    ("goal", {"team": "Marseille", "expected_version": 7, "now": True}, 409,
     "expected version 7, but it is at -1"),
    ("goal", {"player": "Mbemba"}, 400, "team: Field required"),
    ("goal", {"team": "Marseille", "kind": "volley"}, 400, "kind"),
    ("goal", {"team": "Marseille", "minute": "early"}, 400, "minute"),
    ("goal", {"team": "Marseille", "surprise": 1}, 400, "surprise"),
    ("card", {"team": "Marseille", "player": "Mbemba", "card": "purple"}, 400, "card"),
    ("goal", {"team": "Marseille", "at": "tuesday"}, 400, "at: 'tuesday' is not a date"),
    ("whistle", {"what": "half-time", "period": "2H"}, 422, "half-time takes no period"),
])
def test_a_refused_append_writes_nothing_and_says_why_in_one_line(
        client: TestClient, demo_db: Path, route: str, body: Any, status: int,
        said: str) -> None:
    before = head(demo_db)
    answer = post(client, route, body)
    assert answer.status_code == status, answer.text
    assert said in answer.json()["error"] and "\n" not in answer.json()["error"]
    assert head(demo_db) == before


def test_an_append_without_at_is_refused_unless_the_match_is_live_now_or_now_insists(
        client: TestClient, demo_db: Path) -> None:
    # the same check as the command line's (cli.append.submit_events): a forgotten "at"
    before = head(demo_db)
    refused = post(client, "whistle", {"what": "kick-off"})
    assert refused.status_code == 422 and "is not live now" in refused.json()["error"]
    assert head(demo_db) == before
    assert post(client, "whistle", {"what": "kick-off", "now": True}).status_code == 201
    goal = post(client, "goal", {"team": "Marseille", "player": "Mbemba", "minute": 1})
    assert goal.status_code == 201, goal.text  # live now: no "at" needed
    assert goal.json()["score"]["score"] == [1, 0]


def test_new_player_registers_him_with_the_event_over_the_api_too(
        client: TestClient, demo_db: Path) -> None:
    post(client, "whistle", KICK_OFF)
    body = {"team": "Atalanta", "player": "Berat Djimsiti", "minute": 9,
            "at": "2024-05-02T21:09+02:00"}
    before = head(demo_db)
    refused = post(client, "goal", body)
    assert refused.status_code == 422
    assert "no player 'Berat Djimsiti' in Atalanta's roster" in refused.json()["error"]
    assert head(demo_db) == before
    answer = post(client, "goal", body | {"new_player": True})
    assert answer.status_code == 201, answer.text
    assert [a["type"] for a in answer.json()["appended"]] == ["PlayerRegistered", "GoalScored"]
    assert head(demo_db) == before + 2


def test_a_conflict_names_both_versions(client: TestClient) -> None:
    answer = post(client, "goal", {"team": "Marseille", "expected_version": 3, "now": True})
    assert answer.status_code == 409
    assert (answer.json()["expected_version"], answer.json()["actual_version"]) == (3, -1)


@pytest.mark.parametrize(("content", "status", "said"), [
    (b'{"stream": "match:x", "type": "GoalScored"', 400, "malformed JSON"),
    (b"[1, 2]", 400, "expected a JSON object"),
    (b'{"stream": "match:x", "type": "NoSuchThing", "data": {}}', 400, "unknown event type"),
    (b'{"stream": "match:x", "type": "MatchStarted", "data": {}, "expected_version": "a"}',
     400, "expected_version"),
    (b'{"stream": "match:nope", "type": "MatchStarted", "data": {}}', 422, "nope"),
])
def test_the_generic_route_refuses_bad_input(
        client: TestClient, demo_db: Path, content: bytes, status: int, said: str) -> None:
    before = head(demo_db)
    answer = client.post("/api/events", content=content,
                         headers={**AUTH, "Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert said in answer.json()["error"]
    assert head(demo_db) == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0000"},
                                     {"Authorization": TOKEN}])
def test_a_write_without_the_token_is_refused(
        client: TestClient, demo_db: Path, headers: dict[str, str]) -> None:
    before = head(demo_db)
    answer = client.post(f"/api/matches/{SF1}/whistle", json=KICK_OFF, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert head(demo_db) == before


@pytest.mark.parametrize(("route", "body"), [
    ("sub", {"team": "Marseille", "off": "Mbemba", "on": "Vitinha"}),
    ("amend", {"reason": "report", "player": "Mbemba"}),
])
def test_a_substitution_or_an_amendment_without_the_token_is_refused(
        client: TestClient, demo_db: Path, route: str, body: Any) -> None:
    before = head(demo_db)
    answer = client.post(f"/api/matches/{SF1}/{route}", json=body)
    assert answer.status_code == 401
    assert "write token" in answer.json()["error"]
    assert head(demo_db) == before


def test_the_console_lists_the_events_an_amendment_can_correct(client: TestClient) -> None:
    post(client, "whistle", KICK_OFF)
    goal = post(client, "goal", {"team": "Marseille", "player": "Mbemba", "minute": 11,
                                 "at": "2024-05-02T21:11+02:00"})
    goal_id = goal.json()["appended"][0]["event_id"]
    listed = client.get(f"/console/{SF1}/amendable").text
    assert f'value="{goal_id}"' in listed and "Mbemba" in listed
    assert listed.count("<option") == 1  # the whistle is not amendable
    assert f'value="{goal_id}"' in client.get(f"/console/{SF1}").text
    assert client.get("/console/nope/amendable").status_code == 404


def test_a_body_over_the_limit_is_refused_unread(client: TestClient, demo_db: Path) -> None:
    big = json.dumps({"team": "Marseille", "player": "x" * BODY_LIMIT})
    answer = client.post(f"/api/matches/{SF1}/goal", content=big,
                         headers={**AUTH, "Content-Type": "application/json"})
    assert answer.status_code == 413
    chunks = (part.encode() for part in [big[:1000], big[1000:]])  # no Content-Length
    answer = client.post("/api/events", content=chunks, headers=AUTH)
    assert answer.status_code == 413


def test_no_traceback_reaches_a_response(client: TestClient,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from matchledger.projections import query

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug, with a secret path /etc/x")

    monkeypatch.setattr(query, "match", broken)
    answer = client.get("/api/matches/uel24-qf4-leg2")
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal error"}


# --- the live feed ---------------------------------------------------------------------------


def read_feed(base: str, count: int, *, headers: dict[str, str] | None = None,
              params: dict[str, Any] | None = None, then: Any = None,
              timeout: float = 10.0) -> list[dict[str, Any]]:
    """The first ``count`` messages of the feed (``then`` runs once it is connected)."""
    got: list[dict[str, Any]] = []
    with httpx.Client(base_url=base, timeout=timeout) as http, http.stream(
            "GET", "/api/feed", headers=headers or {}, params=params or {}) as feed:
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/event-stream")
        if then is not None:
            then()
        message: dict[str, Any] = {}
        deadline = time.monotonic() + timeout
        for line in feed.iter_lines():
            if time.monotonic() > deadline:
                break
            if line.startswith("id: "):
                message["id"] = int(line[4:])
            elif line.startswith("data: "):
                message["data"] = json.loads(line[6:])
            elif line == "" and "data" in message:
                got.append(message)
                message = {}
                if len(got) == count:
                    break
    return got


def test_the_feed_resumes_from_last_event_id_without_gaps_or_repeats(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matchledger.cli.server

    # the log is read in several chunks
    monkeypatch.setattr(matchledger.cli.server, "HISTORY_CHUNK", 2)
    with running(demo_db) as base, httpx.Client(base_url=base, headers=AUTH) as http:
        def kick_off() -> None:
            assert http.post(f"/api/matches/{SF1}/whistle", json=KICK_OFF).status_code == 201

        first = read_feed(base, 2, then=kick_off)
        assert [m["data"]["event"]["type"] for m in first] == ["MatchStarted", "PeriodStarted"]
        assert [m["id"] for m in first] == [m["data"]["event"]["position"] for m in first]
        last = first[-1]["id"]
        # appended while no client is connected: a goal, a card, another goal
        for route, body in [("goal", {"team": "Marseille", "minute": 9}),
                            ("card", {"team": "Atalanta", "player": "Scalvini", "minute": 12}),
                            ("goal", {"team": "Atalanta", "minute": 20})]:
            minute = body["minute"]
            body["at"] = f"2024-05-02T21:{minute:02d}+02:00"
            assert http.post(f"/api/matches/{SF1}/{route}", json=body).status_code == 201
        missed = read_feed(base, 3, headers={"Last-Event-ID": str(last)})
        assert [m["id"] for m in missed] == [last + 1, last + 2, last + 3]
        assert [m["data"]["score"]["score"] for m in missed] == [[1, 0], [1, 0], [1, 1]]
        # and from further back than the server has seen (a fold of the log): no repeats
        older = read_feed(base, 7, params={"after": 139})
        assert [m["id"] for m in older] == list(range(140, 147))
        assert older[2]["data"]["event"]["stream"] == "match:uel24-qf4-leg2"
        assert older[2]["data"]["score"]["penalties"] == [4, 2]


def test_a_cli_append_in_another_process_shows_in_the_feed(demo_db: Path) -> None:
    env = {**os.environ, "MATCHLEDGER_DB": str(demo_db)}
    script = Path(sys.executable).with_name("matchledger")

    def append_by_cli() -> None:
        subprocess.Popen([str(script), "append", "whistle", SF1, "kick-off", "--at",
                          "2024-05-02T21:00+02:00"], env=env, stdout=subprocess.DEVNULL)

    with running(demo_db) as base:
        got = read_feed(base, 2, params={"match": SF1}, then=append_by_cli, timeout=30)
    assert [m["data"]["event"]["type"] for m in got] == ["MatchStarted", "PeriodStarted"]
    assert got[-1]["data"]["score"]["status"] == "live"


def test_the_feed_refuses_a_bad_last_event_id(client: TestClient) -> None:
    answer = client.get("/api/feed", headers={"Last-Event-ID": "yesterday"})
    assert answer.status_code == 400


# --- the command ----------------------------------------------------------------------------


def test_the_server_socket_sends_without_waiting_for_acks() -> None:
    """TCP_NODELAY: else a keep-alive client waits 40 ms for each response's body."""
    import socket

    from matchledger.cli.server import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP  # what asyncio checks before setting it
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()


def test_help_does_not_import_the_server() -> None:
    code = ("import sys; from cli.main import app; "
            "print(any(m in sys.modules for m in "
            "('fastapi', 'uvicorn', 'matchledger.cli.server')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_serve_says_in_one_line_what_stops_it(tmp_path: Path, demo_db: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli_app, ["serve", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "no ledger at" in missing.stderr
    short = runner.invoke(cli_app, ["serve", "--db", str(demo_db), "--token", "abc"])
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr
    from matchledger.cli.server import bind

    taken = bind("127.0.0.1", 0)
    try:
        port = str(taken.getsockname()[1])
        busy = runner.invoke(cli_app, ["serve", "--db", str(demo_db), "--port", port])
    finally:
        taken.close()
    assert busy.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "Traceback" not in busy.stderr
