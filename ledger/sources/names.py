"""One club across files: team names as sources write them, matched to the ledger's teams.

"Bayer Leverkusen (GER)", "Bayer Leverkusen" and "Bayer 04 Leverkusen" are one club. A name is
matched, in this order, by

1. the alias map the user gives (``{"Bayer 04 Leverkusen": "leverkusen"}``),
2. the registry's exact spellings (id, name and aliases, in ``ledger.normalise`` form),
3. the *club key*: the normalised form without common prefixes and suffixes (FC, AFC, SC, SV,
   AC, AS, SL, ...), connecting words ("de", "e") and numbers (years and numbers in club names
   like "04" and "1899"); "Real" is kept, "Real Madrid" and "Real Betis" are not one club,
4. abbreviations: "Bor. Mönchengladbach" is "Borussia Mönchengladbach".

A name that matches several teams is ambiguous; a new name *close* to a known team (one key a
part of the other, or spelled nearly alike) may be a typo or the same club. Both are refused
with the candidates listed until an alias settles them. Any other new name becomes a new team
whose id is the slug of its name.

    >>> club_key("FC Bayern München"), club_key("Bayern München (GER)")
    (('bayern', 'munchen'), ('bayern', 'munchen'))
    >>> club_key("TSG 1899 Hoffenheim"), club_key("Bor. Mönchengladbach")
    (('hoffenheim',), ('bor', 'monchengladbach'))
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping

import attrs
from anyascii import anyascii

from matchledger.ledger.limits import MAX_NAME, check_text
from matchledger.ledger.teams import SLUG, Registry, normalise

AFFIXES = frozenset({
    "fc", "afc", "cf", "sc", "sv", "ac", "as", "ssc", "ss", "us", "bv", "bsc", "vfl", "vfb",
    "tsv", "tsg", "fsv", "sk", "fk", "nk", "cd", "ud", "rcd", "ca", "sl", "ssv", "spvgg",
    "club", "clube", "calcio", "futbol", "football", "fussball", "de", "del", "da", "do", "e",
    "the",
})
CLOSE = 0.85  # difflib ratio of two club keys above which names are "close"
_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")
_WORD = re.compile(r"[a-z0-9]+")


def _ascii(name: str) -> str:
    """A name in lower-case ASCII, whatever its script: "Ολυμπιακός" is "olympiakos"."""
    return anyascii(_SUFFIX.sub("", name)).lower()


def _tokens(name: str) -> tuple[tuple[str, bool], ...]:
    """(word, is an abbreviation) of a name's club key: "Bor." is an abbreviation."""
    found: list[tuple[str, bool]] = []
    for raw in _ascii(name).split():
        words = _WORD.findall(raw)
        for i, word in enumerate(words):
            last = i == len(words) - 1
            abbrev = last and raw.endswith(".") and word.isalpha() and len(word) <= 4
            found.append((word, abbrev))
    kept = tuple(t for t in found if t[0] not in AFFIXES and not t[0].isdigit())
    return kept or tuple(found)


def club_key(name: str) -> tuple[str, ...]:
    """The form clubs are matched on: "SV Werder Bremen" and "Werder Bremen" share one."""
    return tuple(word for word, _ in _tokens(name))


def slug(name: str) -> str:
    """A team id from a name: "Olympique Marseille (FRA)" -> "olympique-marseille"; a name
    of no letters or digits in any script, "team"."""
    return "-".join(_WORD.findall(_ascii(name))) or "team"


def _abbreviates(a: tuple[tuple[str, bool], ...], b: tuple[tuple[str, bool], ...]) -> bool:
    if len(a) != len(b) or a == b:
        return False
    fits = all(x == y or (xa and y.startswith(x)) or (ya and x.startswith(y))
               for (x, xa), (y, ya) in zip(a, b, strict=True))
    return fits and any(xa or ya for (_, xa), (_, ya) in zip(a, b, strict=True))


def _close(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One key a part of the other, spelled nearly alike, or the same but for initials
    ("RC Lens" and "Racing Club de Lens")."""
    if not a or not b:
        return False
    sa, sb = set(a), set(b)
    if sa <= sb or sb <= sa:
        return True
    if len(a) == len(b) and a[-1] == b[-1] and len(a[-1]) >= 4 and all(
            x[0] == y[0] and (_within(x, y) or _within(y, x)) for x, y in zip(a, b, strict=True)):
        return True
    return difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio() >= CLOSE


def _within(short: str, long: str) -> bool:
    """Whether the letters of ``short`` appear in ``long`` in order ("rc" in "racing")."""
    rest = iter(long)
    return all(ch in rest for ch in short)


@attrs.frozen(kw_only=True)
class Resolved:
    """A name of the file and the team it is: ``how`` says why."""

    name: str
    team: str
    how: str  # "exact", "alias map", "normalised form", "abbreviation", "new"
    display: str  # the team's name: the registered one, or this spelling for a new team
    country: str | None
    alias: bool = True  # worth registering as an alias (not when only the country told it)


@attrs.define
class _Spelling:
    team: str
    text: str
    tokens: tuple[tuple[str, bool], ...]

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(w for w, _ in self.tokens)


@attrs.define
class TeamMatcher:
    """Resolves the team names of one file against a registry (and the file's own new teams).

    ``resolve`` takes every (name, country) of the file in order of first appearance and
    returns a Resolved per name, or raises AmbiguousTeam naming every unsettled name.
    """

    registry: Registry
    aliases: Mapping[str, str] = attrs.field(factory=dict)
    spellings: list[_Spelling] = attrs.field(factory=list)
    new: dict[str, Resolved] = attrs.field(factory=dict)  # new team id -> its first spelling

    def __attrs_post_init__(self) -> None:
        for team in self.registry.teams.values():
            for text in (team.id, team.name, *team.aliases):
                self.spellings.append(_Spelling(team.id, text, _tokens(text)))
        self.aliases = {normalise(k): v for k, v in self.aliases.items()}

    def resolve(self, names: Iterable[tuple[str, str | None]], source: str) -> dict[str, Resolved]:
        from matchledger.ledger.sources.errors import AmbiguousTeam

        wanted = list(dict.fromkeys(names))
        for name, _ in wanted:  # before any matching: fuzzy matching a megabyte takes minutes
            check_text(name, f"{source}: team name {name[:30]!r}…", MAX_NAME)
        out: dict[str, Resolved] = {}
        problems: list[str] = []
        pending: list[tuple[str, str | None]] = []
        for name, country in wanted:  # pass 1: names of teams the ledger knows
            found = self._known(name, country)
            if isinstance(found, str):
                problems.append(found)
            elif found is not None:
                out.setdefault(name, found)
            else:
                pending.append((name, country))
        claimed = {r.team for r in out.values()}
        for name, country in pending:  # pass 2: the rest, new teams or close to known ones
            if name in out:
                continue
            found = self._unknown(name, country, claimed)
            if isinstance(found, str):
                problems.append(found)
            else:
                out[name] = found
        if problems:
            raise AmbiguousTeam(source, list(dict.fromkeys(problems)))
        return out

    # --- pass 1 -------------------------------------------------------------------------------

    def _known(self, name: str, country: str | None) -> Resolved | str | None:
        settled = self._alias(name, country)
        if settled is not None:
            return settled
        reg = self.registry
        exact = name if name in reg.teams else reg.team_names.get(normalise(name))
        if exact is not None and self._same_country(exact, country):
            return self._known_team(name, exact, "exact", country)
        key = club_key(name)
        tokens = _tokens(name)
        tests: tuple[tuple[str, Callable[[_Spelling], bool]], ...] = (
            ("normalised form", lambda s: bool(key) and s.key == key),
            ("abbreviation", lambda s: _abbreviates(tokens, s.tokens)))
        for how, fits in tests:
            teams = self._candidates(fits, country)
            if len(teams) == 1:
                found = self._known_team(name, teams[0], how, country)
                if len(self._candidates(fits, None)) > 1:  # only the country told them apart
                    return attrs.evolve(found, how=f"{how} and country", alias=False)
                return found
            if len(teams) > 1:
                return f"{name!r} is ambiguous: it could be " + self._listed(teams)
        return None

    def _alias(self, name: str, country: str | None) -> Resolved | None:
        target = self.aliases.get(normalise(name))
        if target is None:
            return None
        reg = self.registry
        team = target if target in reg.teams else reg.team_names.get(normalise(target))
        if team is not None:
            return self._known_team(name, team, "alias map", country)
        if not SLUG.match(target):
            from matchledger.ledger.sources.errors import SourceError

            raise SourceError(f"alias {name!r}={target!r}: {target!r} is neither a known team "
                              "nor a team id (lower-case letters, digits, dashes)")
        return self._new_team(name, country, target, "alias map")

    def _known_team(self, name: str, team: str, how: str, country: str | None) -> Resolved:
        entry = self.registry.teams.get(team)
        if entry is None:  # a team this file creates
            first = self.new[team]
            return Resolved(name=name, team=team, how=how, display=first.display,
                            country=first.country or country)
        return Resolved(name=name, team=team, how=how, display=entry.name,
                        country=entry.country or country)

    def _candidates(self, fits: Callable[[_Spelling], bool], country: str | None) -> list[str]:
        teams = dict.fromkeys(s.team for s in self.spellings if fits(s))
        return [t for t in teams if self._same_country(t, country)]

    def _same_country(self, team: str, country: str | None) -> bool:
        entry = self.registry.teams.get(team)
        known = entry.country if entry else (self.new[team].country if team in self.new
                                             else None)
        return country is None or known is None or known.upper() == country.upper()

    def _listed(self, teams: Iterable[str]) -> str:
        shown = []
        for team in teams:
            entry = self.registry.teams.get(team)
            shown.append(f"{entry.name!r} ({team})" if entry else team)
        return ", ".join(shown)

    # --- pass 2 -------------------------------------------------------------------------------

    def _unknown(self, name: str, country: str | None, claimed: set[str]) -> Resolved | str:
        found = self._known(name, country)  # a new team of this file, spelled another way
        if isinstance(found, Resolved | str):
            return found
        key = club_key(name)
        close = [t for t in dict.fromkeys(s.team for s in self.spellings
                                          if _close(key, s.key))
                 if t in self.registry.teams and t not in claimed
                 and self._same_country(t, country)]
        if close:
            return (f"{name!r} is not a known team but is close to " + self._listed(close)
                    + f" (use '{name}={close[0]}' for the same club, or "
                    f"'{name}={slug(name)}' for a new one)")
        return self._new_team(name, country, None, "new")

    def _new_team(self, name: str, country: str | None, wanted: str | None,
                  how: str) -> Resolved:
        team = wanted or self._free_id(slug(name), country)
        display = _SUFFIX.sub("", name).strip()
        resolved = Resolved(name=name, team=team, how=how, display=display, country=country)
        if team not in self.new:
            self.new[team] = resolved
        for text in (team, name):
            self.spellings.append(_Spelling(team, text, _tokens(text)))
        return resolved

    def _free_id(self, base: str, country: str | None) -> str:
        taken = set(self.registry.teams) | set(self.new)
        owners = self.registry.team_names
        candidates = [base]
        if country:
            candidates.append(f"{base}-{country.lower()}")
        candidates += [f"{base}-{n}" for n in range(2, 100)]
        for candidate in candidates:
            if candidate not in taken and normalise(candidate) not in owners:
                return candidate
        raise AssertionError("no free team id")  # pragma: no cover


def close_names(a: str, b: str) -> bool:
    """Whether two names may be one club spelt two ways ("Alpha", "Alpha Rotterdam")."""
    return _close(club_key(a), club_key(b))


def parse_aliases(items: Iterable[str]) -> dict[str, str]:
    """``["Bayer 04 Leverkusen=leverkusen", ...]`` (``--alias`` flags, or alias file lines;
    blank lines and ``#`` comments skipped) as a mapping."""
    from matchledger.ledger.sources.errors import SourceError

    out: dict[str, str] = {}
    for item in items:
        text = item.split("#", 1)[0].strip() if not item.strip().startswith("#") else ""
        if not text:
            continue
        name, sep, team = text.rpartition("=")
        if not sep or not name.strip() or not team.strip():
            raise SourceError(f"alias {item.strip()!r}: write NAME=team-id")
        out[name.strip()] = team.strip()
    return out


__all__ = ["AFFIXES", "Resolved", "TeamMatcher", "close_names", "club_key", "parse_aliases",
           "slug"]
