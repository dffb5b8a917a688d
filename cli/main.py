"""The ``matchledger`` command: one typer app joining the sub-apps of each area, each
imported only when one of its commands runs or shows its help (``COMMANDS``).

    $ matchledger demo                       # the 2023/24 Europa League quarter-finals
    $ matchledger bracket uel-2023-24 --as-of 2024-04-12

Every mistake a user can make — a bad option, an unknown team, a goal before kick-off — ends
as one line on stderr and a non-zero exit code, never a traceback: ``MatchledgerGroup`` is the
one place that turns the library's root errors into that line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NamedTuple

import typer
import typer.main
from typer._click import Command, Context
from typer._click import exceptions as click_exceptions
from typer.core import TyperCommand, TyperGroup

from matchledger.cli import helptext

helptext.tidy()

EXIT_ERROR = 1  # the ledger refused, or something named does not exist
EXIT_USAGE = 2  # the command line itself is wrong (click's convention)
ENV_TZ = "MATCHLEDGER_TZ"  # --tz, when not given

# Nothing a command uses is imported here: ``matchledger --help`` imports no area, not even
# cli.common (attrs); the error lines import what they need when they are said.


def _user_errors() -> tuple[type[BaseException], ...]:
    """The root errors of every layer: what a user's mistake raises (imported when needed)."""
    import sqlite3

    from matchledger.cli.common import CliError
    from matchledger.ledger import LedgerError
    from matchledger.projections import ProjectionError

    return (CliError, LedgerError, ProjectionError, sqlite3.Error, OSError)


def _say_error(text: str, hint: str = "") -> None:
    """``error: TEXT HINT`` on stderr: one line, and nothing a terminal would act on."""
    from matchledger.cli.common import printable

    typer.echo(f"error: {printable(' '.join(text.split()))}{hint}", err=True)


class BadArgument(Exception):
    """An argument that is not text at all: bytes no UTF-8 decodes, a lone surrogate."""


def check_arguments(args: Sequence[str]) -> None:
    """Refuse, naming its option, an argument that is not UTF-8 text: a file name or a team
    name alike would break SQLite, the output or the ledger on its way through."""
    if all(arg.isascii() for arg in args):  # nearly always: nothing to import
        return
    from matchledger.ledger import LedgerError
    from matchledger.ledger.limits import check_text

    for i, arg in enumerate(args):
        option, eq, value = arg.partition("=")
        if not (eq and option.startswith("--")):
            option, value = (args[i - 1] if i and args[i - 1].startswith("-")
                             else f"argument {i + 1}"), arg
        try:
            check_text(value, option, limit=len(value))
        except LedgerError as e:
            raise BadArgument(str(e)) from None


class Listed(NamedTuple):
    """A command as ``matchledger --help`` lists it, without importing the module it is in."""

    area: str  # the module of matchledger.cli whose ``app`` holds it
    panel: str  # its rich_help_panel
    summary: str  # the first paragraph of its help, on one line


_VIEWS = "Views (all take --as-of, --known-at, --at-position, --json)"

# Every command, in the order the help lists them. tests/test_startup.py checks this table
# against the areas' own commands (and prints the table to paste when they differ).
COMMANDS: dict[str, Listed] = {
    "demo": Listed("demo", "Start here",
                   "Build a ledger from the bundled seed data and show what it can tell."),
    "init": Listed("store", "Ledger",
                   "Create an empty ledger file (nothing happens if it is already a ledger)."),
    "import": Listed("store", "Ledger", "Import files, each in one transaction: JSON Lines of "
                                        "events, or openfootball seasons."),
    "export": Listed("store", "Ledger", "Export envelopes as JSON Lines, exactly as stored "
                                        "(hashes included), in position order."),
    "verify": Listed("store", "Ledger", "Check the hash chain, positions, versions, rules and "
                                        "triggers; exit 1 if broken."),
    "stats": Listed("store", "Ledger", "Show what the ledger holds: events, streams, size, "
                                       "positions, time span, head hash."),
    "anchor": Listed("trust", "Ledger", "Print the head of the log (POSITION:HASH) to keep "
                                        "outside the file, for verify --head."),
    "keygen": Listed("trust", "Ledger",
                     "Make an Ed25519 key pair for signing checkpoints of the log."),
    "checkpoint": Listed("trust", "Ledger", "Sign the head of the log (position, hash, time) "
                                            "and store it in the ledger."),
    "append": Listed("append", "Live", "Append one event, typed for live use during a match."),
    "log": Listed("log", "Ledger", "Show the log: position, event id, stream, version, time "
                                   "and what happened."),
    "score": Listed("views", _VIEWS, "Show a match: score line and status, goals, cards, the "
                                     "shoot-out kick by kick."),
    "matches": Listed("views", _VIEWS, "List fixtures and results: ids, teams, scores and "
                                       "local kick-off, in kick-off order."),
    "tie": Listed("views", _VIEWS,
                  "Show a tie: its legs, the aggregate, who went through and how."),
    "bracket": Listed("views", _VIEWS, "Draw a competition's bracket as a tree: every tie, "
                                       "scores, aggregates, who went through."),
    "table": Listed("views", _VIEWS, "Show a competition's table: played, won, drawn, lost, "
                                     "goals, cards, points."),
    "teams": Listed("views", _VIEWS, "List the teams: id, name, country, the other spellings "
                                     "they answer to, competitions."),
    "streaks": Listed("views", _VIEWS, "Show a team's streaks, current and longest, across "
                                       "competitions in kick-off order."),
    "players": Listed("views", _VIEWS, "Show scorers and booked players: goals, penalties, "
                                       "own goals and cards."),
    "rebuild": Listed("rebuild", "Projections", "Rebuild the read models and snapshots from "
                                                "the log, with a progress bar."),
    "serve": Listed("serve", "Live", "Serve the ledger on the web: live match centre, bracket "
                                     "time machine, JSON API, feed."),
}
# how an area's app joins the root, as ``app.add_typer(area.app, **JOINS[area])`` would
# (the others' commands join the root by their own names)
JOINS: dict[str, dict[str, Any]] = {
    "append": {"name": "append", "rich_help_panel": COMMANDS["append"].panel,
               "help": COMMANDS["append"].summary},
}
AREAS = tuple(dict.fromkeys(listed.area for listed in COMMANDS.values()))
_built: dict[str, Mapping[str, Command]] = {}  # an area's commands, made once per process


def area_app(area: str) -> typer.Typer:
    """The typer app of one area, imported now (each by its own import statement)."""
    match area:
        case "demo":
            from matchledger.cli import demo
            return demo.app
        case "store":
            from matchledger.cli import store
            return store.app
        case "trust":
            from matchledger.cli import trust
            return trust.app
        case "append":
            from matchledger.cli import append
            return append.app
        case "log":
            from matchledger.cli import log
            return log.app
        case "views":
            from matchledger.cli import views
            return views.app
        case "rebuild":
            from matchledger.cli import rebuild
            return rebuild.app
        case "serve":
            from matchledger.cli import serve
            return serve.app
    raise ValueError(f"no area {area!r}")


def area_commands(area: str) -> Mapping[str, Command]:
    """The click commands of one area, imported and made on first use, with the root's
    settings, exactly as they are made when the area's app is joined to the root app."""
    if area not in _built:
        holder = typer.Typer(rich_markup_mode=app.rich_markup_mode,
                             pretty_exceptions_short=app.pretty_exceptions_short,
                             suggest_commands=app.suggest_commands)
        holder.add_typer(area_app(area), **JOINS.get(area, {}))
        _built[area] = typer.main.get_group(holder).commands
    return _built[area]


class _Made(Mapping[str, Command]):
    """A lazy group's commands by name: a command is made when it is looked up, so that
    listing the names (or suggesting one for a typo) imports nothing."""

    def __init__(self, group: MatchledgerGroup) -> None:
        self._group = group

    def __getitem__(self, name: str) -> Command:
        made = self._group._made(name)
        if made is None:
            raise KeyError(name)
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._group.list_commands(None))

    def __len__(self) -> int:
        return len(self._group.list_commands(None))


class MatchledgerGroup(TyperGroup):
    """The root group: runs a command, turning any user error into one line on stderr.

    Its commands are made lazily: a command's module is imported when that command runs or
    shows its help (``get_command``); the root's help and the completion of a command's name
    list them from ``COMMANDS`` and import nothing. ``commands`` makes each as it is looked
    up. Commands given to it the usual way (``add_typer``) come first.
    """

    _listing = False  # within the root's help or the completion of a command's name

    @property  # type: ignore[override]
    def commands(self) -> Mapping[str, Command]:
        return _Made(self)

    @commands.setter
    def commands(self, given: Mapping[str, Command]) -> None:
        self._given = dict(given)

    def add_command(self, cmd: Command, name: str | None = None) -> None:
        self._given[name or cmd.name or ""] = cmd

    def list_commands(self, ctx: Context | None) -> list[str]:
        return [*self._given, *(name for name in COMMANDS if name not in self._given)]

    def get_command(self, ctx: Context | None, cmd_name: str) -> Command | None:
        listed = COMMANDS.get(cmd_name)
        if self._listing and cmd_name not in self._given and listed is not None \
                and listed.area not in _built:
            return TyperCommand(cmd_name, help=listed.summary, rich_help_panel=listed.panel)
        return self._made(cmd_name)

    def _made(self, name: str) -> Command | None:
        if name in self._given:
            return self._given[name]
        listed = COMMANDS.get(name)
        return None if listed is None else area_commands(listed.area)[name]

    @contextmanager
    def _list_only(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def format_help(self, ctx: Context, formatter: Any) -> None:
        with self._list_only():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[Any]:
        with self._list_only():
            return super().shell_complete(ctx, incomplete)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            check_arguments(sys.argv[1:] if args is None else args)
            code = super().main(args, prog_name, complete_var, standalone_mode=False,
                                windows_expand_args=windows_expand_args, **extra)
        except BadArgument as e:
            _say_error(str(e))
            code = EXIT_USAGE
        except click_exceptions.NoArgsIsHelpError:
            code = 0  # the help was printed
        except click_exceptions.ClickException as e:  # bad usage: a wrong option or value
            message = e.format_message().replace("Value error, ", "")
            hint = ""
            ctx = getattr(e, "ctx", None)
            if ctx is not None:
                hint = f" (see {ctx.command_path} --help)"
            _say_error(message, hint)
            code = e.exit_code
        except typer.Abort:
            typer.echo("aborted", err=True)
            code = EXIT_ERROR
        except Exception as e:
            if not isinstance(e, _user_errors()):
                raise
            from matchledger.cli.common import one_line

            typer.echo(f"error: {one_line(e)}", err=True)
            code = EXIT_ERROR
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="matchledger",
    cls=MatchledgerGroup,
    help="An event-sourced ledger of football matches on SQLite, askable as of any moment.\n\n"
         "Start with: matchledger demo",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"matchledger {version('matchledger')}")
        raise typer.Exit()


def _set_zone(name: str | None) -> str | None:
    from matchledger.cli.common import set_zone

    try:
        set_zone(name)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    return name


@app.callback()
def root(
    show_version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Show the version and exit.")] = False,
    tz: Annotated[str | None, typer.Option(
        "--tz", envvar=ENV_TZ, metavar="ZONE", callback=_set_zone, is_eager=True,
        help="The zone of times typed without an offset and of times shown, for every "
             "command: a zoneinfo name (Europe/Berlin); UTC unless given (or set "
             "MATCHLEDGER_TZ). Before the command: matchledger --tz Europe/Berlin log")] = None,
) -> None:
    """An event-sourced ledger of football matches on SQLite, askable as of any moment."""



if __name__ == "__main__":  # python -m matchledger.cli.main
    app()
