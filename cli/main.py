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

from cli import append, demo, helptext, log, rebuild, store, views
from cli.common import CliError, one_line

helptext.tidy()

EXIT_ERROR = 1  # the ledger refused, or something named does not exist
EXIT_USAGE = 2  # the command line itself is wrong (click's convention)


def _user_errors() -> tuple[type[BaseException], ...]:
    """The root errors of every layer: what a user's mistake raises (imported when needed)."""
    from ledger import LedgerError
    from projections import ProjectionError

    return (CliError, LedgerError, ProjectionError, sqlite3.Error, OSError)


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
            code = super().main(args, prog_name, complete_var, standalone_mode=False,
                                windows_expand_args=windows_expand_args, **extra)
        except click_exceptions.NoArgsIsHelpError:
            code = 0  # the help was printed
        except click_exceptions.ClickException as e:  # bad usage: a wrong option or value
            message = e.format_message().replace("Value error, ", "")
            hint = ""
            ctx = getattr(e, "ctx", None)
            if ctx is not None:
                hint = f" (see {ctx.command_path} --help)"
            typer.echo(f"error: {' '.join(message.split())}{hint}", err=True)
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


@app.callback()
def root(
    show_version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Show the version and exit.")] = False,
) -> None:
    """An event-sourced ledger of football matches on SQLite, askable as of any moment."""


app.add_typer(demo.app)
app.add_typer(store.app)
app.add_typer(append.app, name="append", rich_help_panel="Live",
              help="Append one event, typed for live use during a match.")
app.add_typer(log.app)
app.add_typer(views.app)
app.add_typer(rebuild.app)


if __name__ == "__main__":  # python -m cli.main
    app()
