"""The form names are matched on, for teams and players alike: case, accents, punctuation and a
country suffix in brackets aside.

    >>> normalise("Olympique de Marseille (FRA)"), normalise("Çalhanoğlu"), normalise("København")
    ('olympique de marseille', 'calhanoglu', 'kobenhavn')
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")
_NON_WORD = re.compile(r"[\W_]+")
# letters NFKD does not take apart: "København" is "Kobenhavn", not "Kbenhavn"
TRANSLIT = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "đ": "d",
                          "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "œ": "oe", "Œ": "Oe",
                          "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D"})


@functools.lru_cache(maxsize=65_536)
def normalise(name: str) -> str:
    """The form names are matched on: "Olympique de Marseille (FRA)" -> "olympique de marseille".

    Accents go ("Çalhanoğlu" is "calhanoglu"); letters of other scripts stay, so that two
    names in Cyrillic or Greek are never one."""
    name = unicodedata.normalize("NFKD", _SUFFIX.sub("", name).translate(TRANSLIT))
    letters = "".join(c for c in name if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", letters.casefold()).strip()


__all__ = ["TRANSLIT", "normalise"]
