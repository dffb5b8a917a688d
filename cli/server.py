"""``matchledger serve``: the ledger on the web, from one long-lived process.

    $ matchledger serve --db demo.db            # http://127.0.0.1:8000/

The process keeps the fold hot (``projections.query.Hot``) and follows the log, so appends by
any process show. It answers:

- a JSON API under ``/api``, the CLI's ``--json`` contract, every read taking ``as_of``,
  ``known_at`` and ``at_position`` (described at ``/openapi.json``, with ``/docs`` beside it);
- appends over HTTP through the same ledger and judge as ``matchledger append``: 201 when
  written, 200 with the original position for an ``event_id`` seen before, 409 on a version
  conflict, 422 when the ledger refuses, 400 for malformed input; nothing is written on any
  error. Writes need the token (``Authorization: Bearer TOKEN``);
- ``/api/feed``: server-sent events of every appended event with its match's score after it,
  the SSE id being the ledger position, so ``Last-Event-ID`` resumes without a gap or a repeat;
- pages: the match centre, a competition with an "as of" slider, a team, an operator console.

Every read calls ``projections.query`` as the CLI does, and pages render with ``cli.render``'s
plain-text helpers: the web and the terminal say the same things.
"""

import asyncio
import collections
import contextlib
import datetime as dt
import hmac
import io
import json
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import attrs
import jinja2
import orjson
import uvicorn
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matchledger.cli import render
from matchledger.cli.append import (
    Whistle,
    amend_event,
    amendable,
    appended_json,
    submit_events,
    whistle_events,
)
from matchledger.cli.common import CliError, one_line, parse_moment
from matchledger.events import (
    Card,
    CardShown,
    EventRetracted,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    KickOutcome,
    Period,
    ShootoutKick,
    SubstitutionMade,
)
from matchledger.events.match import Booking, Substitution
from matchledger.ledger import (
    Appended,
    ConcurrencyConflict,
    Draft,
    DuplicateEvent,
    Envelope,
    InvalidEvent,
    Ledger,
    LedgerError,
    export_lines,
    parse_draft,
)
from matchledger.projections import (
    KINDS,
    AmbiguousTie,
    ProjectionError,
    State,
    UnknownEvent,
    fold,
    query,
    state_at,
    to_json,
)
from matchledger.projections.listing import STATUSES
from matchledger.projections.scoreboard import GoalLine, scoreboard

WEB = Path(__file__).with_name("web")  # templates and static files, shipped as package data
BODY_LIMIT = 64 * 1024  # bytes: an event is a few hundred
FEED_BUFFER = 10_000  # recent feed messages kept in memory for clients that reconnect
SUBSCRIBER_BACKLOG = 10_000  # messages a slow client may fall behind before it is dropped
POLL_SECONDS = 0.05  # how often the log is checked for appends by other processes
NOTIFY_WAIT_SECONDS = 1.0  # on PostgreSQL, the longest wait for an append's NOTIFY
PING_SECONDS = 15.0  # an SSE comment this often keeps proxies from closing an idle feed
LOG_LIMIT = 1000  # the most events one /api/log answer holds
INDEX_MATCHES = 40  # the latest matches the front page lists (each competition's page has all)
HISTORY_CHUNK = 500  # events a resuming client is sent from the log between other work


# --- the live feed ---------------------------------------------------------------------------


@attrs.frozen
class FeedMessage:
    """One feed message: an event at ``position``, as SSE data (its log line and the score)."""

    position: int
    match: str | None
    data: str

    def sse(self) -> str:
        return f"id: {self.position}\nevent: appended\ndata: {self.data}\n\n"


class Feed:
    """Every appended event, with its match's score just after it, to every SSE client.

    The hot fold tells the feed of each event as it folds it (``Hot.on_event``); messages are
    kept in a bounded buffer, so a client reconnecting with ``Last-Event-ID`` is sent what it
    missed from there (or, further back, from a fold of the log) before the live ones, each
    once: ids are ledger positions, gapless and in commit order.
    """

    def __init__(self, lg: Ledger) -> None:
        self.lg = lg
        self.hot = query.Hot(lg, on_event=self._publish)
        self.buffer: collections.deque[FeedMessage] = collections.deque(maxlen=FEED_BUFFER)
        self.subscribers: set[asyncio.Queue[FeedMessage | None]] = set()

    def _publish(self, env: Envelope, state: State) -> None:
        (line,) = _log_lines(self.lg, env.position - 1, env.position)
        message = _message(env, state, line)
        self.buffer.append(message)
        for queue in list(self.subscribers):
            if queue.qsize() >= SUBSCRIBER_BACKLOG:  # too slow: drop it; it may resume
                self.subscribers.discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(message)

    @property
    def position(self) -> int:
        return self.hot.state().position

    def missed(self, after: int) -> Iterator[FeedMessage]:
        """The messages after ``after`` up to the hot fold's position: from the buffer, or
        from a fold of the log for those older than it holds."""
        upto = self.position
        oldest = self.buffer[0].position if self.buffer else upto + 1
        if after + 1 < oldest:
            state = state_at(self.lg, at_position=after)
            start, end = after, min(upto, oldest - 1)
            while start < end:  # a chunk at a time: each read once, not a query per event
                stop = min(start + HISTORY_CHUNK, end)
                lines = _log_lines(self.lg, start, stop)
                for env, line in zip(self.lg.read(after=start, at_position=stop), lines,
                                     strict=True):
                    fold(state, env)
                    yield _message(env, state, line)
                start = stop
        for message in list(self.buffer):
            if message.position > after:
                yield message

    async def poll(self) -> None:
        """Follow the log: fold (and so publish) what other processes append. On PostgreSQL
        a connection of its own waits for their NOTIFY (in a thread), so requests never
        queue behind the wait."""
        from matchledger.ledger import EventStore

        waiter = EventStore(self.lg.url, read_only=True) if self.lg.url else None
        try:
            while True:
                # a busy or broken moment: the next poll tries again
                with contextlib.suppress(LedgerError, ProjectionError, sqlite3.Error):
                    self.hot.state()
                if waiter is None:
                    await asyncio.sleep(POLL_SECONDS)
                else:
                    await asyncio.to_thread(waiter.wait, NOTIFY_WAIT_SECONDS)
        finally:
            if waiter is not None:
                waiter.close()

    async def stream(self, after: int, match: str | None) -> AsyncIterator[str]:
        """The SSE text of a client's feed: what it missed since ``after``, then live."""
        queue: asyncio.Queue[FeedMessage | None] = asyncio.Queue()
        self.subscribers.add(queue)  # first: nothing published from now on is missed
        try:
            yield "retry: 1000\n\n"
            sent = after
            for n, old in enumerate(self.missed(after), 1):
                if old.position > sent:
                    sent = old.position
                    if match is None or old.match == match:
                        yield old.sse()
                if n % HISTORY_CHUNK == 0:
                    await asyncio.sleep(0)  # a long catch-up leaves room for other requests
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), PING_SECONDS)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                if message is None:
                    return  # dropped as too slow: the client reconnects and resumes
                if message.position > sent:
                    sent = message.position
                    if match is None or message.match == match:
                        yield message.sse()
        finally:
            self.subscribers.discard(queue)


def _log_lines(lg: Ledger, after: int, upto: int) -> list[str]:
    """The events in (after, upto] as ``log --json`` prints them, a line each."""
    out = io.StringIO()
    export_lines(lg, out, after=after, at_position=upto)
    return out.getvalue().splitlines()


def _message(env: Envelope, state: State, line: str) -> FeedMessage:
    """An event's feed message: its log line and its match's score just after it."""
    match = env.stream_id if env.stream.startswith("match:") else None
    score: Any = None
    if match is not None:
        with contextlib.suppress(ProjectionError):
            score = to_json(scoreboard(state, match))
    score_text = json.dumps(score, separators=(",", ":"))
    return FeedMessage(env.position, match, f'{{"event":{line},"score":{score_text}}}')


# --- requests --------------------------------------------------------------------------------


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, before the app reads any of it
    (a body sent without a Content-Length is read up to the limit, then replayed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"error": f"request body over {self.limit} bytes"}, 413)
        await response(scope, receive, send)


def parse_when(as_of: str | None = None, known_at: str | None = None,
               at_position: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
    """The time-travel filters of a read, as the CLI parses them: 2024-04-12 (the start of
    that day, UTC), 2024-04-19T12:00 (UTC), 2024-04-18T21:00+02:00."""
    return {"as_of": _moment(as_of, "as_of"), "known_at": _moment(known_at, "known_at"),
            "at_position": at_position}


def _moment(text: str | None, name: str) -> dt.datetime | None:
    if text is None or text == "":
        return None
    try:
        return parse_moment(text)
    except ValueError as e:
        raise BadRequest(f"{name}: {e}") from e


class BadRequest(Exception):
    """Malformed input: answered 400 with its one line."""


When = Annotated[dict[str, Any], Depends(parse_when)]


class Written(BaseModel):
    """What every typed write takes besides its own fields."""

    model_config = ConfigDict(extra="forbid")
    at: str | None = Field(None, description="When it happened (default now): "
                                             "2024-05-02T21:11+02:00.")
    expected_version: int | None = Field(
        None, description="Refuse unless the stream's last version is this (-1: new).")
    source: str | None = Field(None, description="Where the fact comes from (meta).")


class Base(Written):
    """What every typed append of one new event takes: a write, and the event's id."""

    event_id: str | None = Field(None, description="The event's id; sent again, nothing is "
                                                   "appended and the original is answered.")
    now: bool = Field(False, description="It happens now, though the match is not live now "
                                         "(without at or now, such an event is refused).")


class Naming(Base):
    """A typed append of an event naming players of its team."""

    team: str
    new_player: bool = Field(False, description="Register each player named who is not on "
                                                "the team's roster, with the event.")


class GoalIn(Naming):
    player: str | None = None
    minute: int | None = None  # its range is the judge's to check, as for the CLI
    added: int | None = None
    kind: GoalKind = GoalKind.OPEN_PLAY


class CardIn(Naming):
    player: str
    card: Card = Card.YELLOW
    minute: int | None = None  # its range is the judge's to check, as for the CLI
    added: int | None = None


class SubIn(Naming):
    off: str = Field(description="The player who goes off.")
    on: str = Field(description="The player who comes on.")
    minute: int | None = None  # its range is the judge's to check, as for the CLI
    added: int | None = None


class KickIn(Naming):
    outcome: KickOutcome
    taker: str | None = None


class WhistleIn(Base):
    what: Whistle
    period: Period | None = None


class DisallowIn(Base):
    goal: str = Field("last", description="The goal's event id, a unique prefix, or 'last'.")
    reason: str | None = None


class RetractIn(Base):
    event: str = Field("last", description="The event id, a unique prefix, or 'last'.")
    reason: str


class AmendIn(Written):
    """An amendment's ids are the ledger's to make: the same amendment sent again (its event
    named by id or as "last") is recognised as such and answered with the original."""

    event: str = Field("last", description="The goal's, card's or kick's event id, a unique "
                                           "prefix, or 'last'.")
    reason: str
    team: str | None = None
    player: str | None = None
    minute: int | None = None  # with no added, a new minute has none
    added: int | None = None
    kind: GoalKind | None = None
    card: Card | None = None
    taker: str | None = None
    outcome: KickOutcome | None = None

    def changes(self) -> dict[str, Any]:
        """The fields to change, as ``append amend`` gathers them from its options."""
        changes = {name: value for name in ("team", "player", "kind", "card", "taker",
                                            "outcome", "added")
                   if (value := getattr(self, name)) is not None}
        if self.minute is not None:
            changes |= {"minute": self.minute, "added": self.added}
        return changes


# --- the app ---------------------------------------------------------------------------------


class Served:
    """What one server process holds: the ledger, its hot fold and feed, the write token."""

    def __init__(self, db: str | Path, token: str) -> None:
        self.db, self.token = db, token
        self.lg: Ledger | None = None
        self.feed: Feed | None = None

    def open(self) -> None:
        self.lg = Ledger(self.db)
        self.feed = Feed(self.lg)
        self.feed.hot.state()  # load the fold now, not at the first request

    def close(self) -> None:
        if self.lg is not None:
            self.lg.close()

    @property
    def ledger(self) -> Ledger:
        assert self.lg is not None, "the server is not started"
        return self.lg

    @property
    def hot(self) -> query.Hot:
        assert self.feed is not None, "the server is not started"
        return self.feed.hot


def make_app(db: str | Path, token: str) -> FastAPI:
    """The ASGI app serving the ledger at ``db``; writes need ``token``."""
    served = Served(db, token)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        served.open()
        assert served.feed is not None
        poller = asyncio.create_task(served.feed.poll())
        try:
            yield
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            served.close()

    app = FastAPI(title="matchledger", version=_version(), lifespan=lifespan,
                  description="An event-sourced ledger of football matches: reads are open, "
                              "writes need `Authorization: Bearer TOKEN`.")
    app.state.served = served
    app.add_middleware(BodyLimit, limit=BODY_LIMIT)
    _errors(app)
    app.include_router(_api(served))
    app.include_router(_pages(served))
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matchledger")
    except PackageNotFoundError:
        return "0"


def _json(view: Any, status: int = 200) -> Response:
    """A view's JSON contract (``to_json``) as the answer, serialised once by orjson rather
    than walked again by FastAPI's encoder."""
    return Response(orjson.dumps(to_json(view)), status, media_type="application/json")


def _error(status: int, message: str, **more: Any) -> JSONResponse:
    return JSONResponse({"error": message, **more}, status_code=status)


def _errors(app: FastAPI) -> None:
    """Every error is one line of JSON, ``{"error": ...}``, with a status that says whose
    fault it is; no traceback ever reaches a response."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        first = e.errors()[0] if e.errors() else {}
        if first.get("type") == "json_invalid":
            return _error(400, "malformed JSON")
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        message = first.get("msg", "invalid")
        return _error(400, f"{where}: {message}")

    @app.exception_handler(BadRequest)
    async def bad(request: Request, e: BadRequest) -> JSONResponse:
        return _error(400, one_line(e))

    @app.exception_handler(HTTPException)
    async def http(request: Request, e: HTTPException) -> Response:
        response = _error(e.status_code, str(e.detail))
        if e.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, e: LedgerError) -> JSONResponse:
        if isinstance(e, ConcurrencyConflict):
            return _error(409, one_line(e), stream=e.stream, expected_version=e.expected,
                          actual_version=e.actual)
        if isinstance(e, DuplicateEvent):
            return _error(409, one_line(e))
        if type(e) is InvalidEvent:  # malformed; its subclasses are refusals by the rules
            return _error(400, one_line(e))
        if request.method == "GET":  # an unknown team or match asked about
            return _error(404, one_line(e))
        return _error(422, one_line(e))

    @app.exception_handler(ProjectionError)
    async def projection_error(request: Request, e: ProjectionError) -> JSONResponse:
        code = 400 if isinstance(e, AmbiguousTie) else 422 if isinstance(e, UnknownEvent) else 404
        return _error(code, one_line(e))

    @app.exception_handler(CliError)
    async def refused(request: Request, e: CliError) -> JSONResponse:
        return _error(422, one_line(e))

    @app.exception_handler(ValueError)
    async def value_error(request: Request, e: ValueError) -> JSONResponse:
        return _error(400, one_line(e))

    @app.exception_handler(sqlite3.Error)
    async def database(request: Request, e: sqlite3.Error) -> JSONResponse:
        return _error(503, one_line(e))

    @app.exception_handler(Exception)
    async def internal(request: Request, e: Exception) -> JSONResponse:
        return _error(500, "internal error")


def _api(served: Served) -> Any:
    from fastapi import APIRouter

    api = APIRouter(prefix="/api")

    def lg() -> Ledger:
        return served.ledger

    def writer(request: Request) -> None:
        """Writes need the token, compared in constant time."""
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode(), served.token.encode()):
            raise HTTPException(401, "this needs the write token: Authorization: Bearer TOKEN")

    Writer = Depends(writer)

    # --- reads ---

    @api.get("/matches", summary="Fixtures and results, by kick-off (as `matches --json`)")
    async def matches(when: When, competition: str | None = None, team: str | None = None,
                      round: str | None = None, status: str | None = None,
                      since: Annotated[dt.date | None, Query(alias="from")] = None,
                      until: Annotated[dt.date | None, Query(alias="to")] = None) -> Response:
        if status is not None and status not in STATUSES:
            raise BadRequest(f"status: {status!r} is not one of {', '.join(STATUSES)}")
        return _json(query.matches(lg(), competition=competition, team=team, round=round,
                                   status=status, since=since, until=until, **when,
                                   hot=served.hot).view)

    @api.get("/matches/{match}", summary="A match: score, status, goals, cards, kicks")
    async def match(match: str, when: When) -> Response:
        return _json(query.match(lg(), match, **when, hot=served.hot).board)

    @api.get("/ties/{tie}", summary="A tie: legs, aggregate, who went through and how")
    async def tie(tie: str, when: When, competition: str | None = None) -> Response:
        return _json(query.tie(lg(), tie, competition, **when, hot=served.hot).view)

    @api.get("/competitions/{competition}/bracket", summary="A competition's bracket")
    async def bracket(competition: str, when: When) -> Response:
        return _json(query.bracket(lg(), competition, **when, hot=served.hot).view)

    @api.get("/competitions/{competition}/table", summary="A competition's table, best first")
    async def table(competition: str, when: When, group: str | None = None) -> Response:
        return _json(query.table(lg(), competition, group, **when, hot=served.hot).view)

    @api.get("/teams", summary="The teams, by id")
    async def teams(when: When, competition: str | None = None) -> Response:
        return _json(query.teams(lg(), competition, **when, hot=served.hot))

    @api.get("/teams/{team}/record", summary="A team's record, overall or in a competition")
    async def record(team: str, when: When, competition: str | None = None) -> Response:
        return _json(query.team_record(lg(), team, competition, **when, hot=served.hot).view)

    @api.get("/teams/{team}/streaks", summary="A team's streaks, current and longest")
    async def team_streaks(team: str, when: When, competition: str | None = None) -> Response:
        return _json(query.team_streaks(lg(), team, competition, **when,
                                          hot=served.hot).view)

    @api.get("/streaks", summary="Every team's streaks, by team id")
    async def streaks(when: When, competition: str | None = None) -> Response:
        found = query.streaks(lg(), competition, **when, hot=served.hot).view
        return _json({v.team: v for v in sorted(found, key=lambda v: v.team)})

    @api.get("/players", summary="Scorers and booked players, top scorer first")
    async def players(when: When, team: str | None = None, competition: str | None = None,
                      top: Annotated[int | None, Query(ge=1)] = None) -> Response:
        return _json(list(query.players(lg(), team, competition, **when,
                                        hot=served.hot).view[:top]))

    @api.get("/log", summary="The events after a position, as log --json prints them")
    async def log(after: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, le=LOG_LIMIT)] = LOG_LIMIT,
                  stream: str | None = None) -> Response:
        ledger = lg()
        last = [e.position for e in query.log_after(
            ledger, after, limit=limit, streams=[stream] if stream else None)]
        out = io.StringIO()
        if last:
            export_lines(ledger, out, after=after, at_position=last[-1],
                         **({"stream": stream} if stream else {}))
        lines = [line for line in out.getvalue().splitlines() if line]
        return Response("[" + ",".join(lines) + "]", media_type="application/json")

    @api.get("/feed", summary="Server-sent events: every appended event and the score after",
             response_class=StreamingResponse)
    async def feed(request: Request, after: Annotated[int | None, Query(ge=0)] = None,
                   match: str | None = None) -> StreamingResponse:
        assert served.feed is not None
        resume = request.headers.get("last-event-id")
        if resume is not None:
            if not resume.strip().isdigit():
                raise BadRequest("Last-Event-ID must be a ledger position")
            after = int(resume)
        start = served.feed.position if after is None else after
        return StreamingResponse(served.feed.stream(start, match),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    # --- writes ---

    def append(stream: str, events: Sequence[Any], body: Base,
               match: str | None) -> JSONResponse:
        ledger = lg()
        if body.event_id is not None and len(events) > 1:
            raise BadRequest("event_id names one event, but this appends several")
        done = submit_events(ledger, stream, events, match, at=_moment(body.at, "at"),
                             now=body.now, new_player=isinstance(body, Naming) and
                             body.new_player, event_id=body.event_id, source=body.source,
                             expect=body.expected_version, asking=('"at"', '"now": true'),
                             hot=served.hot)
        return _answer(ledger, done, match)

    def _appended(ledger: Ledger, stream: str, drafts: list[Draft], expected: int | None,
                  match: str | None) -> JSONResponse:
        return _answer(ledger, ledger.submit(stream, drafts, expected_version=expected), match)

    def _answer(ledger: Ledger, done: Appended, match: str | None) -> JSONResponse:
        served.hot.state()  # fold and publish them now, not at the next poll
        board = None
        if match is not None:
            board = query.match(ledger, match, hot=served.hot).board
        return JSONResponse(appended_json(done.envelopes, done.new, board),
                            201 if done.new else 200)

    # one typed route per event on the pitch: a new kind of event is a request model above
    # and a route like these; /events takes any already

    @api.post("/matches/{match}/goal", dependencies=[Writer], status_code=201,
              summary="A goal (GoalScored)")
    async def goal(match: str, body: GoalIn) -> JSONResponse:
        event = GoalScored(team=body.team, player=body.player, kind=body.kind,
                           minute=body.minute, added=body.added)
        return append(f"match:{match}", [event], body, match)

    @api.post("/matches/{match}/card", dependencies=[Writer], status_code=201,
              summary="A card (CardShown)")
    async def card(match: str, body: CardIn) -> JSONResponse:
        event = CardShown(team=body.team, player=body.player, card=body.card,
                          minute=body.minute, added=body.added)
        return append(f"match:{match}", [event], body, match)

    @api.post("/matches/{match}/sub", dependencies=[Writer], status_code=201,
              summary="A substitution (SubstitutionMade)")
    async def sub(match: str, body: SubIn) -> JSONResponse:
        event = SubstitutionMade(team=body.team, player_off=body.off, player_on=body.on,
                                 minute=body.minute, added=body.added)
        return append(f"match:{match}", [event], body, match)

    @api.post("/matches/{match}/kick", dependencies=[Writer], status_code=201,
              summary="A penalty shoot-out kick (ShootoutKick)")
    async def kick(match: str, body: KickIn) -> JSONResponse:
        event = ShootoutKick(team=body.team, outcome=body.outcome, taker=body.taker)
        return append(f"match:{match}", [event], body, match)

    @api.post("/matches/{match}/whistle", dependencies=[Writer], status_code=201,
              summary="The whistle: kick-off, start, half-time, end, full-time")
    async def whistle(match: str, body: WhistleIn) -> JSONResponse:
        events = whistle_events(lg(), match, body.what, body.period)
        return append(f"match:{match}", events, body, match)

    @api.post("/matches/{match}/disallow", dependencies=[Writer], status_code=201,
              summary="Rule out a goal (GoalDisallowed)")
    async def disallow(match: str, body: DisallowIn) -> JSONResponse:
        goal_id = query.find_event(lg(), match, body.goal,
                                   lambda e: isinstance(e, GoalScored), "goal", ruled_out=False)
        return append(f"match:{match}", [GoalDisallowed(goal=goal_id, reason=body.reason)],
                      body, match)

    @api.post("/matches/{match}/retract", dependencies=[Writer], status_code=201,
              summary="Retract a data-entry mistake (EventRetracted)")
    async def retract(match: str, body: RetractIn) -> JSONResponse:
        target = query.find_event(lg(), match, body.event, lambda e: True, "event")
        return append(f"match:{match}", [EventRetracted(event=target, reason=body.reason)],
                      body, match)

    @api.post("/matches/{match}/amend", dependencies=[Writer], status_code=201,
              summary="Correct a goal, card or kick: its retraction and its replacement")
    async def amend(match: str, body: AmendIn) -> JSONResponse:
        ledger = lg()
        done = amend_event(ledger, match, body.event, body.changes(), reason=body.reason,
                           at=_moment(body.at, "at"), source=body.source,
                           expect=body.expected_version)
        return _answer(ledger, done, match)

    @api.post("/events", dependencies=[Writer], status_code=201,
              summary="Any event, as JSON: {stream, type, data, occurred_at?, event_id?, "
                      "meta?, expected_version?}")
    async def event(request: Request) -> JSONResponse:
        try:
            obj = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise BadRequest("malformed JSON") from e
        expected = None
        if isinstance(obj, dict):
            expected = obj.pop("expected_version", None)
            if expected is not None and (type(expected) is not int):
                raise BadRequest("expected_version must be an integer")
            if obj.get("occurred_at") is None:
                obj["occurred_at"] = dt.datetime.now(dt.UTC).isoformat()
        stream, draft = parse_draft(obj)
        match = stream.removeprefix("match:") if stream.startswith("match:") else None
        return _appended(lg(), stream, [draft], expected, match)

    return api


# --- pages -----------------------------------------------------------------------------------


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(
        score_line=render.score_line, status_text=render.status_text, pair=render.pair,
        legs_text=render.legs_text, outcome_text=render.outcome_text,
        kickoff_text=render.kickoff_text, minute_text=render.minute_text, day=render.day,
        describe=render.describe, Whistle=Whistle, Card=Card, KickOutcome=KickOutcome,
        GoalKind=GoalKind, Period=Period, KINDS=KINDS)
    return env


def _moments(lg: Ledger, state: State, competition: str) -> list[dt.date]:
    """The days the competition's slider stops at: the start of the day after each day
    something happened in it (its draws and registrations, its matches' kick-offs)."""
    days = {env.occurred_at.astimezone(dt.UTC).date()
            for env in lg.read(stream=f"competition:{competition}")}
    for fixture in state.fixtures.values():
        if fixture.competition == competition:
            moment = fixture.kickoff.astimezone(dt.UTC).date() if fixture.kickoff else fixture.date
            if moment is not None:
                days.add(moment)
    after = sorted({d + dt.timedelta(days=1) for d in days})
    if len(after) > 400:  # a long league season: every few days is enough for a slider
        step = len(after) // 400 + 1
        after = after[::step] + after[-1:]
    return after


def _pages(served: Served) -> Any:
    from fastapi import APIRouter

    pages = APIRouter(include_in_schema=False)
    templates = _templates()

    def page(name: str, **values: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**values))

    def lg() -> Ledger:
        return served.ledger

    @pages.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        found = query.matches(lg(), last=INDEX_MATCHES, hot=served.hot)
        state = found.state
        assert state is not None  # matches folds a state: no read model lists them
        boards = [scoreboard(state, line.match) for line in found.view]
        return page("index.html", title="matchledger", competitions=state.competitions,
                    boards=boards, names=render.Names(state))

    @pages.get("/matches/{match}", response_class=HTMLResponse)
    async def match_centre(match: str, when: When) -> HTMLResponse:
        found = query.match(lg(), match, **when, hot=served.hot)
        return page("match.html", title=match, **_match_values(found))

    @pages.get("/matches/{match}/part", response_class=HTMLResponse)
    async def match_part(match: str, when: When) -> HTMLResponse:
        found = query.match(lg(), match, **when, hot=served.hot)
        return page("match_part.html", **_match_values(found))

    @pages.get("/competitions/{competition}", response_class=HTMLResponse)
    async def competition(request: Request, competition: str, when: When) -> HTMLResponse:
        values = _competition_values(lg(), served.hot, competition, when)
        state = served.hot.state()
        moments = _moments(lg(), state, competition)
        return page("competition.html", title=values["bracket"].name or competition,
                    moments=moments, as_of=request.query_params.get("as_of", ""),
                    known=bool(request.query_params.get("known_at")), **values)

    @pages.get("/competitions/{competition}/part", response_class=HTMLResponse)
    async def competition_part(competition: str, when: When) -> HTMLResponse:
        return page("competition_part.html",
                    **_competition_values(lg(), served.hot, competition, when))

    @pages.get("/teams/{team}", response_class=HTMLResponse)
    async def team(team: str, when: When) -> HTMLResponse:
        ledger = lg()
        streaks = query.team_streaks(ledger, team, **when, hot=served.hot)
        assert streaks.team is not None and streaks.state is not None
        overall = query.team_record(ledger, streaks.team, **when, hot=served.hot).view
        state = streaks.state
        comps = sorted(c for c in (state.teams[streaks.team].competitions
                                   if streaks.team in state.teams else ())
                       if c in state.competitions)
        records = [query.team_record(ledger, streaks.team, c, **when, hot=served.hot).view
                   for c in comps]
        players = query.players(ledger, streaks.team, **when, hot=served.hot).view
        names = render.Names(streaks.known)
        return page("team.html", title=names(streaks.team), team=streaks.team, names=names,
                    overall=overall, records=records, streaks=streaks.view,
                    players=players, state=state,
                    label=lambda m: render.match_label(state, m, streaks.team or "", names))

    @pages.get("/console/{match}", response_class=HTMLResponse)
    async def console(match: str) -> HTMLResponse:
        found = query.match(lg(), match, hot=served.hot)
        board, state = found.board, found.state
        registry, competition = lg().registry(), lg().competition_of(match) or ""
        roster = {side: sorted({p.name for p in state.players.values() if p.team == side} | {
                      *(r.spellings.values() if (r := registry.roster(competition, side))
                        else ())})
                  for side in (board.home, board.away) if side is not None}
        return page("console.html", title=f"console · {match}", roster=roster,
                    amendable=_amendable(lg(), match), **_match_values(found))

    @pages.get("/console/{match}/amendable", response_class=HTMLResponse)
    async def console_amendable(match: str) -> HTMLResponse:
        query.match(lg(), match, hot=served.hot)  # an unknown match: 404, as for the console
        return page("amendable.html", amendable=_amendable(lg(), match))

    return pages


def _amendable(lg: Ledger, match: str) -> list[tuple[str, str]]:
    """The goals, cards and kicks of a match an amendment can correct, latest first: each
    one's event id and what it records."""
    return [(e.event_id, render.describe(e.event))
            for e in reversed(query.standing(lg, match, amendable))]


def _match_values(found: query.MatchAnswer) -> dict[str, Any]:
    board, names = found.board, render.Names(found.state)
    timeline: list[tuple[str, str, str]] = []
    for fact in board.timeline:  # in match order; the kicks have a table of their own
        if isinstance(fact, GoalLine):
            kind = {GoalKind.PENALTY: " (pen)", GoalKind.OWN_GOAL: " (o.g.)"}.get(fact.kind, "")
            text = f"{fact.player or '?'}{kind}" + (" — disallowed" if fact.disallowed else "")
            timeline.append((render.minute_text(fact.minute, fact.added),
                             "goal" if not fact.disallowed else "disallowed",
                             f"{names(fact.scorer_team)}: {text}"))
        elif isinstance(fact, Booking):
            timeline.append((render.minute_text(fact.minute, fact.added), str(fact.card),
                             f"{names(fact.team)}: {fact.player}"))
        elif isinstance(fact, Substitution):
            timeline.append((render.minute_text(fact.minute, fact.added), "substitution",
                             f"{names(fact.team)}: {fact.player_on} on for {fact.player_off}"))
    return {"board": board, "tie": found.tie, "names": names,
            "timeline": timeline, "kicks": board.kicks,
            "headline": render.score_line(board, found.tie, names),
            "status": render.status_text(board)}


def _competition_values(lg: Ledger, hot: query.Hot, competition: str,
                        when: dict[str, Any]) -> dict[str, Any]:
    bracket = query.bracket(lg, competition, **when, hot=hot)
    table = query.table(lg, competition, **when, hot=hot)
    names = render.Names(bracket.known)
    said = [f"{k.replace('_', ' ')} {v:%d %b %Y}" if isinstance(v, dt.datetime) else
            f"at position {v}" for k, v in when.items() if v is not None]
    return {"competition": competition, "bracket": bracket.view, "table": table.view,
            "names": names, "when_text": " · ".join(said) or "now",
            # each tie's second line as the terminal's bracket draws it: legs, aggregate, outcome
            "ties_text": {t.tie: render.tie_label(t, names).plain.split("\n", 1)[-1]
                          for r in bracket.view.rounds for t in r.ties}}


# --- running ---------------------------------------------------------------------------------


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: any free port); OSError when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto named, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it a response's body waits for the client's delayed ACK of its headers (40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def server_for(sock: socket.socket, db: str | Path, token: str) -> uvicorn.Server:
    """A uvicorn server of the ledger at ``db`` on ``sock``: one process, since the hot fold
    lives in it; ``.run(sockets=[sock])`` serves until stopped."""
    config = uvicorn.Config(make_app(db, token), log_level="warning", access_log=False,
                            server_header=False, timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


def run(sock: socket.socket, db: str | Path, token: str) -> None:
    """Serve until interrupted."""
    server_for(sock, db, token).run(sockets=[sock])
