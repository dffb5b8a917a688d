"""Help as people read it, on every typer the project supports (see pyproject's pin).

typer 0.29 labels each parameter with its Python type in angle brackets (``--json <bool>``,
``--team <str>``) and writes a required argument as ``{MATCH}`` in the usage line. Here a flag
shows no type, a value the kind of text it takes (``TEXT``, ``INTEGER``; a metavar when the
command gives one), and an argument its plain name. Older typers never wrote those forms, so
``tidy`` changes nothing there.

``typer.rich_utils``, which prints the help, imports ``rich.markdown`` (markdown-it) and
``rich.traceback`` (pygments) as it loads, for help written in markdown and for tracebacks
shown to developers; this app's help is rich markup and shows no traceback. ``tidy`` has it
load with stand-ins for the two that import the real one when first used, so that
``--help`` does not import them.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable
from typing import Any

from typer import core

_LABELS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH",
           "datetime": "TIME"}


def _plain(label: str | None) -> str | None:
    """``<str>`` -> ``TEXT``; ``<a|b>`` (choices) -> ``a|b``; anything else as it is."""
    found = re.fullmatch(r"<(.*)>", label or "")
    if found is None:
        return label
    return _LABELS.get(found.group(1), found.group(1))


def _option_type(original: Callable[[Any, Any], str | None]
                 ) -> Callable[[Any, Any], str | None]:
    def display(self: Any, ctx: Any) -> str | None:
        if self.metavar is None and getattr(self, "is_flag", False):
            return None
        return _plain(original(self, ctx))

    return display


def _argument_type(original: Callable[[Any, Any], str | None]
                   ) -> Callable[[Any, Any], str | None]:
    def display(self: Any, ctx: Any) -> str | None:
        return None if self.metavar is not None else _plain(original(self, ctx))

    return display


def _usage_name(self: Any) -> str:
    name = str(self.display_name_raw)
    name = name if self.required else f"[{name}]"
    return f"{name}..." if self.nargs != 1 else name


class _Later(type):
    """A class standing in for one of a module not imported yet: making one, or asking the
    class for anything, imports the module and hands over to the real class."""

    _real: Callable[[], type]

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real(), name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)


def _markdown() -> type:
    from rich.markdown import Markdown

    return Markdown


def _traceback() -> type:
    from rich.traceback import Traceback

    return Traceback


_LATER = {"rich.markdown": ("Markdown", _markdown), "rich.traceback": ("Traceback", _traceback)}


def load_rich_help() -> None:
    """Import ``typer.rich_utils`` with stand-ins for the classes it takes from the modules in
    ``_LATER`` (those not imported yet), which go as soon as it has loaded: anyone importing
    them afterwards gets the real modules."""
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins = {}
    for module, (name, real) in _LATER.items():
        if module not in sys.modules:
            stand_ins[module] = types.ModuleType(module)
            setattr(stand_ins[module], name, _Later(name, (), {"_real": staticmethod(real)}))
    sys.modules.update(stand_ins)
    try:
        from typer import rich_utils  # noqa: F401  (loaded now, with the stand-ins)
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]


def _loading_rich_help_first(original: Callable[..., None]) -> Callable[..., None]:
    def format_help(self: Any, ctx: Any, formatter: Any) -> None:
        load_rich_help()
        original(self, ctx, formatter)

    return format_help


def tidy() -> None:
    """Make typer's help load and read as above (once; a typer without the hooks for the
    reading is left to read as it does)."""
    if getattr(core, "_matchledger_tidy", False):
        return
    core._matchledger_tidy = True  # type: ignore[attr-defined]
    for command in (core.TyperCommand, core.TyperGroup):
        command.format_help = _loading_rich_help_first(command.format_help)  # type: ignore
    option, argument = getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)
    if option is None or argument is None or not hasattr(argument, "_usage_display_name"):
        return
    option.display_type_rich = _option_type(option.display_type_rich)
    argument.display_type_rich = _argument_type(argument.display_type_rich)
    argument._usage_display_name = _usage_name
