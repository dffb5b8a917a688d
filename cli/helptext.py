"""Help as people read it, on every typer the project supports (see pyproject's pin).

typer 0.29 labels each parameter with its Python type in angle brackets (``--json <bool>``,
``--team <str>``) and writes a required argument as ``{MATCH}`` in the usage line. Here a flag
shows no type, a value the kind of text it takes (``TEXT``, ``INTEGER``; a metavar when the
command gives one), and an argument its plain name. Older typers never wrote those forms, so
``tidy`` changes nothing there.
"""

from __future__ import annotations

import re
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


def tidy() -> None:
    """Make typer's help read as above (once; a typer without these hooks is left alone)."""
    if getattr(core, "_matchledger_tidy", False):
        return
    option, argument = getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)
    if option is None or argument is None or not hasattr(argument, "_usage_display_name"):
        return
    option.display_type_rich = _option_type(option.display_type_rich)
    argument.display_type_rich = _argument_type(argument.display_type_rich)
    argument._usage_display_name = _usage_name
    core._matchledger_tidy = True  # type: ignore[attr-defined]
