"""The ``matchledger`` command: one typer app joining the sub-apps of each area.

    $ matchledger demo                       # the 2023/24 Europa League quarter-finals
    $ matchledger bracket uel-2023-24 --as-of 2024-04-12

Every mistake a user can make — a bad option, an unknown team, a goal before kick-off — ends
as one line on stderr and a non-zero exit code, never a traceback: ``MatchledgerGroup`` is the
one place that turns the library's root errors into that line.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from matchledger.cli import append, demo, helptext, log, rebuild, serve, store, trust, views
from matchledger.cli.common import ENV_TZ, CliError, one_line, printable, set_zone

helptext.tidy()

EXIT_ERROR = 1  # the ledger refused, or something named does not exist
EXIT_USAGE = 2  # the command line itself is wrong (click's convention)


def _user_errors() -> tuple[type[BaseException], ...]:
    """The root errors of every layer: what a user's mistake raises (imported when needed)."""
    from matchledger.ledger import LedgerError
    from matchledger.projections import ProjectionError

    return (CliError, LedgerError, ProjectionError, sqlite3.Error, OSError)


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


class MatchledgerGroup(TyperGroup):
    """The root group: runs a command, turning any user error into one line on stderr."""

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
            typer.echo(f"error: {printable(' '.join(str(e).split()))}", err=True)
            code = EXIT_USAGE
        except click_exceptions.NoArgsIsHelpError:
            code = 0  # the help was printed
        except click_exceptions.ClickException as e:  # bad usage: a wrong option or value
            message = e.format_message().replace("Value error, ", "")
            hint = ""
            ctx = getattr(e, "ctx", None)
            if ctx is not None:
                hint = f" (see {ctx.command_path} --help)"
            typer.echo(f"error: {printable(' '.join(message.split()))}{hint}", err=True)
            code = e.exit_code
        except typer.Abort:
            typer.echo("aborted", err=True)
            code = EXIT_ERROR
        except Exception as e:
            if not isinstance(e, _user_errors()):
                raise
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


app.add_typer(demo.app)
app.add_typer(store.app)
app.add_typer(trust.app)
app.add_typer(append.app, name="append", rich_help_panel="Live",
              help="Append one event, typed for live use during a match.")
app.add_typer(log.app)
app.add_typer(views.app)
app.add_typer(rebuild.app)
app.add_typer(serve.app)


if __name__ == "__main__":  # python -m matchledger.cli.main
    app()
