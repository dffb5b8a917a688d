"""Start-up: the root command lists its commands from a table and imports a command's module
only to run it or show its help. These tests hold the table to the
commands, the lazy app's help and completion to the eager app's, and check what a start-up
imports (which modules, never how long it takes)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main
from clirun import cli
from test_cli import all_commands
from typer.testing import CliRunner

from matchledger.cli import main
from matchledger.cli.main import COMMANDS, JOINS, app

runner = CliRunner()
WIDE = {"COLUMNS": "100"}


def eager_app() -> typer.Typer:
    """The root app with every area's app joined to it up front (``add_typer``): what the
    lazy one must look and act like."""
    eager = copy.copy(app)
    eager.registered_groups = []
    for area in main.AREAS:
        eager.add_typer(main.area_app(area), **JOINS.get(area, {}))
    return eager


def test_the_table_of_commands_is_the_commands_the_areas_make() -> None:
    made = typer.main.get_group(eager_app()).commands
    table = {name: main.Listed(
        area=(command.callback.__module__ if command.callback else
              f"matchledger.cli.{name}").rpartition(".")[2],
        panel=getattr(command, "rich_help_panel", None) or "",
        summary=" ".join((command.help or "").split("\n\n")[0].split()))
        for name, command in made.items()}
    pasteable = "\n".join(f"    {name!r}: {listed!r}," for name, listed in table.items())
    assert table == COMMANDS, f"main.COMMANDS should read:\n{pasteable}"
    assert not any(command.hidden or command.deprecated for command in made.values())


@pytest.mark.parametrize("path", [[], *(c.split() for c in all_commands())],
                         ids=lambda p: " ".join(p) or "matchledger")
def test_every_help_reads_as_the_eager_app_s(path: list[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main, "_built", {})  # no area made by a test before: the lazy listing
    lazy = runner.invoke(app, [*path, "--help"], env=WIDE)
    eager = runner.invoke(eager_app(), [*path, "--help"], env=WIDE)
    assert lazy.exit_code == eager.exit_code == 0, lazy.output
    assert lazy.stdout == eager.stdout


@pytest.mark.parametrize("args", [["scroe", "x"], ["append", "gaol"], ["score"], []],
                         ids=" ".join)
def test_a_wrong_command_line_reads_as_the_eager_app_s(args: list[str]) -> None:
    lazy = runner.invoke(app, args, env=WIDE)
    eager = runner.invoke(eager_app(), args, env=WIDE)
    assert (lazy.exit_code, lazy.stdout, lazy.stderr) == \
        (eager.exit_code, eager.stdout, eager.stderr)
    assert lazy.exit_code != 0 or not args


def complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash completion offers for the last of ``words`` (typed after ``matchledger``)."""
    typed = f"matchledger {words}"
    result = runner.invoke(app, [], prog_name="matchledger", env={
        "_MATCHLEDGER_COMPLETE": "complete_bash", "COMP_WORDS": typed,
        "COMP_CWORD": str(len(typed.split()) - (0 if typed.endswith(" ") else 1)),
        **(env or {})})
    return result.stdout.split()


def test_completion_offers_commands_and_then_what_a_command_takes(demo_db: Path) -> None:
    db = demo_db
    assert complete("st") == ["stats", "streaks"]
    assert complete("append g") == ["goal"]
    assert complete(f"score --db {db} uel24-qf1") == ["uel24-qf1-leg1", "uel24-qf1-leg2"]
    assert complete(f"--tz UTC streaks --db {db} lev") == ["leverkusen"]


# --- what a start-up imports ------------------------------------------------------------------

# imported by the commands that use them, never by the root's help
LAYERS = ("matchledger.events", "matchledger.ledger", "matchledger.projections")
HEAVY = (*LAYERS, "matchledger.cli.common", "attrs", "sqlite_utils", "cattrs", "orjson",
         "fastapi", "uvicorn", "sqlite3", "rich.markdown", "markdown_it", "rich.traceback",
         "pygments")


def imported(*args: str, code: int = 0) -> list[str]:
    """The modules a new process has imported after running ``matchledger ARGS``, which
    exits with ``code``."""
    script = ("import json, sys\n"
              "from matchledger.cli.main import app\n"
              "try:\n"
              "    app(sys.argv[1:], prog_name='matchledger')\n"
              "except SystemExit as e:\n"
              f"    assert e.code == {code}, e.code\n"
              "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, check=True, env={**WIDE, "PATH": ""})
    return json.loads(done.stderr.splitlines()[-1])  # type: ignore[no-any-return]


def heavy(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names)]


def areas(modules: list[str]) -> set[str]:
    return {m.rpartition(".")[2] for m in modules
            if m.rpartition(".")[0] == "matchledger.cli"} & set(main.AREAS)


def test_the_root_help_imports_no_command_and_nothing_heavy() -> None:
    modules = imported("--help")
    assert heavy(modules, HEAVY) == []
    assert areas(modules) == set()
    assert "typer.rich_utils" in modules  # it did print rich help


def test_a_mistyped_command_imports_no_command_to_say_so() -> None:
    modules = imported("scroe", code=2)  # "did you mean 'score'?"
    assert areas(modules) == set()
    assert heavy(modules, LAYERS) == []  # the line itself is printed by cli.common


def test_a_command_s_help_imports_its_own_area_alone() -> None:
    assert areas(imported("score", "--help")) == {"views"}
    assert areas(imported("append", "goal", "--help")) == {"append"}


def test_a_read_command_imports_its_own_area_and_not_the_writers(tmp_path: Path) -> None:
    db = tmp_path / "seed.db"
    cli(db, "init")
    modules = imported("teams", "--db", str(db))
    assert areas(modules) == {"views"}
    assert heavy(modules, ("fastapi", "uvicorn", "matchledger.cli.server")) == []


STAND_INS = '''
import sys
import typer
from typer.models import DeveloperExceptionConfig
from typer.testing import CliRunner
from matchledger.cli import helptext

helptext.tidy()
helptext.load_rich_help()
print("before", "rich.markdown" in sys.modules, "rich.traceback" in sys.modules)
md = typer.Typer(rich_markup_mode="markdown")

@md.command()
def hello() -> None:
    """Say **hello** in `code`."""

@md.command()
def bye() -> None:
    """Say bye."""

print(" ".join(CliRunner().invoke(md, ["--help"], env={"COLUMNS": "100"}).stdout.split()))
from rich.markdown import Markdown
from rich.traceback import Traceback
import typer.rich_utils
try:
    1 / 0
except ZeroDivisionError as e:
    shown = typer.rich_utils.get_traceback(e, DeveloperExceptionConfig(), [])
print("after", isinstance(shown, Traceback), hasattr(Markdown, "elements"))
'''


def test_help_in_markdown_and_tracebacks_still_import_what_they_need() -> None:
    done = subprocess.run([sys.executable, "-c", STAND_INS], capture_output=True, text=True,
                          check=True)
    before, shown, after = done.stdout.splitlines()
    assert before == "before False False"
    assert "Say hello in code." in shown and "**" not in shown
    assert after == "after True True"
