"""Line-ups of Football.TXT: the players of one side, their cards and substitutions.

A line-up follows its match, after the team's name and a colon, over as many lines as it
takes (a line ending in ``,`` or ``-``, or inside a bracket, goes on)::

    Germany:  Neuer - Kimmich, Rüdiger, Tah [Y], Mittelstädt - Andrich [Y] (46' Groß),
              Kroos (80' Can) - Musiala (74' Müller [Y]), Gündogan, Wirtz - Havertz.
    Scotland: Gunn - Porteous [R 44'], Hendry - McGregor [Y/R 78'], Adams (Hanley 46').

Players are split by ``,`` and ``-`` (a line of the formation); ``[Y]``, ``[R]`` and
``[Y/R]`` (a second yellow) are cards, with or without a minute (``[Y 44']``, ``[R 90+2']``);
``[c]`` marks the captain. A player's brackets name who replaced him, minute first or last
(``(46' Groß)``, ``(Groß 46')``), and who replaced that one in turn, nested
(``(46' Groß (80' Beier))``) or after a comma (``(46' Groß, 80' Beier)``). Anything else is an
error naming the line.

    >>> lineup = read_lineup("Neuer - Tah [Y], Andrich (46' Groß).", 0, "t.txt:9", "")
    >>> lineup.players, [(s.player_off, s.player_on, s.minute) for s in lineup.substitutions]
    (('Neuer', 'Tah', 'Andrich', 'Groß'), [('Andrich', 'Groß', 46)])
"""

from __future__ import annotations

import re

import attrs

from matchledger.ledger.sources.errors import ParseError
from matchledger.ledger.sources.model import ParsedCard, ParsedLineup, ParsedSubstitution

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<card>\[\s*(?P<colour>Y\s*/\s*R|Y|R|C)
            (?:\s+(?P<cmin>\d{1,3})(?:\s*\+\s*(?P<cadd>\d{1,2}))?\s*['′]?)?\s*\])
      | (?P<minute>(?<![^\s(,])\d{1,3})(?:\s*\+\s*(?P<added>\d{1,2}))?\s*['′]?(?=[\s(),\[]|$)
      | (?P<open>\() | (?P<close>\)) | (?P<comma>,)
      | (?P<dash>(?<!\S)[-–](?!\S))
      | (?P<word>[^\s\[\]()',;]+(?:'[^\s\[\]()',;]+)*)
    )""",
    re.X | re.I,
)
_COLOURS = {"Y": "yellow", "R": "red"}


@attrs.frozen
class _Token:
    kind: str  # card, minute, open, close, comma, dash, word
    text: str  # as written; a card's colour: Y, R, Y/R or C
    minute: int | None = None
    added: int | None = None


def read_lineup(text: str, side: int, where: str, raw: str) -> ParsedLineup:
    """The line-up of ``side`` written in ``text`` (the team's name and colon left out)."""
    return _Reader(_tokens(text.strip().rstrip("."), where, raw), side, where, raw).run()


def _tokens(text: str, where: str, raw: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if not text[pos:].strip():
                break
            raise ParseError(where, f"cannot read the line-up at {text[pos:].strip()!r}", raw)
        kind = next(k for k in ("card", "minute", "open", "close", "comma", "dash", "word")
                    if m.group(k) is not None)
        if kind == "card":
            colour = re.sub(r"\s", "", m.group("colour")).upper()
            tokens.append(_Token("card", colour, _int(m.group("cmin")), _int(m.group("cadd"))))
        elif kind == "minute":
            tokens.append(_Token("minute", m.group(0).strip(), _int(m.group("minute")),
                                 _int(m.group("added"))))
        else:
            tokens.append(_Token(kind, m.group(kind)))
        pos = m.end()
    return tokens


def _int(text: str | None) -> int | None:
    return int(text) if text else None


@attrs.define
class _Reader:
    tokens: list[_Token]
    side: int
    where: str
    raw: str
    pos: int = 0
    players: list[str] = attrs.field(factory=list)
    cards: list[ParsedCard] = attrs.field(factory=list)
    subs: list[ParsedSubstitution] = attrs.field(factory=list)

    def run(self) -> ParsedLineup:
        while self.pos < len(self.tokens):
            self._player(replaced=None)
            if self._peek() in ("comma", "dash"):
                self.pos += 1
            elif self.pos < len(self.tokens):
                self._refuse("a player after another without ',' or '-'")
        if not self.players:
            self._refuse("a line-up without players")
        return ParsedLineup(where=self.where, side=self.side, players=tuple(self.players),
                            cards=tuple(self.cards), substitutions=tuple(self.subs))

    def _peek(self) -> str | None:
        return self.tokens[self.pos].kind if self.pos < len(self.tokens) else None

    def _refuse(self, problem: str) -> None:
        rest = " ".join(t.text for t in self.tokens[self.pos:self.pos + 4])
        raise ParseError(self.where, f"{problem} in the line-up (at {rest!r})"
                         if rest else f"{problem} in the line-up", self.raw)

    def _player(self, replaced: str | None) -> str:
        """One player, his cards and who replaced him; ``replaced``: whom he replaced."""
        minute = self._minute()
        words = []
        while self._peek() == "word":
            words.append(self.tokens[self.pos].text)
            self.pos += 1
        name = " ".join(words)
        if not re.search(r"[^\W\d_]", name):
            self._refuse("a player without a name")
        first = self._cards(name)
        if minute is None:
            minute = self._minute()
        self._cards(name, first)
        if replaced is None and minute is not None:
            self._refuse(f"a minute for {name}, who started")
        if replaced is not None and minute is None:
            self._refuse(f"no minute for {name}, who came on")
        if name not in self.players:  # a name twice is one player to the ledger
            self.players.append(name)
        if replaced is not None and minute is not None:
            self.subs.append(ParsedSubstitution(side=self.side, player_off=replaced,
                                                player_on=name, minute=minute[0],
                                                added=minute[1]))
        while self._peek() == "open":
            self.pos += 1
            off = name
            while True:
                off = self._player(replaced=off)
                if self._peek() != "comma":
                    break
                self.pos += 1
            if self._peek() != "close":
                self._refuse("a bracket never closed")
            self.pos += 1
        return name

    def _minute(self) -> tuple[int, int | None] | None:
        if self._peek() != "minute":
            return None
        token = self.tokens[self.pos]
        self.pos += 1
        assert token.minute is not None
        return token.minute, token.added

    def _cards(self, name: str, yellow: bool = False) -> bool:
        """Read the cards after ``name``; whether he has a yellow (``yellow``: already)."""
        while self._peek() == "card":
            token = self.tokens[self.pos]
            self.pos += 1
            if token.text == "C":
                continue  # the captain
            if token.text == "Y/R" and not yellow:  # the first yellow, its minute not given
                self.cards.append(ParsedCard(side=self.side, player=name, card="yellow"))
            card = "second_yellow" if token.text == "Y/R" else _COLOURS[token.text]
            if card == "yellow" and yellow:
                self._refuse(f"two yellow cards for {name}: write [Y/R]")
            yellow = yellow or card != "red"
            self.cards.append(ParsedCard(side=self.side, player=name, card=card,
                                         minute=token.minute, added=token.added))
        return yellow


__all__ = ["read_lineup"]
