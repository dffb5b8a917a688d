"""One club across files: names matched to teams by exact spelling, the club key, abbreviations
and aliases; ambiguous or close names refused with candidates."""

from __future__ import annotations

import pytest

from matchledger.ledger import Registry
from matchledger.ledger.sources import (
    AmbiguousTeam,
    SourceError,
    TeamMatcher,
    club_key,
    parse_aliases,
    slug,
)


def _registry(*teams: tuple[str, str, tuple[str, ...], str | None]) -> Registry:
    reg = Registry()
    for team, name, aliases, country in teams:
        reg = reg.register_team(team, name, aliases, country)
    return reg


LEAGUE = _registry(
    ("leverkusen", "Bayer 04 Leverkusen", ("Leverkusen",), "GER"),
    ("gladbach", "Borussia Mönchengladbach", (), "GER"),
    ("bayern", "FC Bayern München", (), "GER"),
    ("real-madrid", "Real Madrid CF", (), "ESP"),
    ("real-betis", "Real Betis", (), "ESP"),
    ("feyenoord", "Feyenoord", (), "NED"),
    ("rc-lens", "RC Lens", (), "FRA"),
    ("copenhagen", "FC København", (), "DEN"),
)


def resolve(*names: str, registry: Registry = LEAGUE,
            aliases: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    found = TeamMatcher(registry, aliases or {}).resolve(((n, None) for n in names), "f.txt")
    return {name: (r.team, r.how) for name, r in found.items()}


@pytest.mark.parametrize(("name", "key"), [
    ("Bayer 04 Leverkusen", ("bayer", "leverkusen")),
    ("Bayer Leverkusen (GER)", ("bayer", "leverkusen")),
    ("TSG 1899 Hoffenheim", ("hoffenheim",)),
    ("1. FC Köln", ("koln",)),
    ("SV Werder Bremen", ("werder", "bremen")),
    ("Club Atlético de Madrid", ("atletico", "madrid")),
    ("Real Madrid CF", ("real", "madrid")),  # "Real" is kept: Real Madrid is not Real Betis
    ("Sport Lisboa e Benfica", ("sport", "lisboa", "benfica")),
    ("FC København", ("kobenhavn",)),
    ("AC Milan", ("milan",)),
    ("FC 04", ("fc", "04")),  # nothing left but affixes and numbers: keep them
])
def test_club_key(name: str, key: tuple[str, ...]) -> None:
    assert club_key(name) == key


def test_slugs_are_team_ids() -> None:
    assert slug("Olympique Marseille (FRA)") == "olympique-marseille"
    assert slug("FC København") == "fc-kobenhavn"
    assert slug("Brighton & Hove Albion") == "brighton-hove-albion"


def test_names_matched_exactly_by_key_by_abbreviation_or_new() -> None:
    assert resolve("Leverkusen", "Bayer Leverkusen (GER)", "Bor. Mönchengladbach",
                   "Bayern München", "FC Kobenhavn", "Real Sociedad") == {
        "Leverkusen": ("leverkusen", "exact"),
        "Bayer Leverkusen (GER)": ("leverkusen", "normalised form"),
        "Bor. Mönchengladbach": ("gladbach", "abbreviation"),
        "Bayern München": ("bayern", "normalised form"),
        "FC Kobenhavn": ("copenhagen", "exact"),  # ø is o in every spelling
        "Real Sociedad": ("real-sociedad", "new"),
    }


def test_names_in_other_scripts_match_exactly_and_never_by_an_empty_club_key() -> None:
    reg = _registry(("olympiacos", "Ολυμπιακός", ("Olympiacos",), "GRE"))
    found = resolve("ΟΛΥΜΠΙΑΚΟΣ", "Παναθηναϊκός", registry=reg)
    assert found["ΟΛΥΜΠΙΑΚΟΣ"] == ("olympiacos", "exact")
    assert found["Παναθηναϊκός"] == ("panathinaikos", "new")  # its id spelled in ASCII


def test_new_teams_named_in_other_scripts_get_ids_spelled_from_their_names() -> None:
    found = resolve("Црвена звезда", "Партизан", "上海上港", "!!", registry=Registry())
    assert found == {"Црвена звезда": ("tsrvena-zvezda", "new"), "Партизан": ("partizan", "new"),
                     "上海上港": ("shanghaishanggang", "new"), "!!": ("team", "new")}


def test_spellings_of_one_new_team_in_a_file_are_one_team() -> None:
    found = resolve("Hertha BSC Berlin", "Hertha Berlin", registry=Registry())
    assert {team for team, _ in found.values()} == {"hertha-bsc-berlin"}


def test_an_ambiguous_name_lists_its_candidates() -> None:
    reg = _registry(("fc-barcelona", "FC Barcelona", (), "ESP"),
                    ("barcelona-sc", "Barcelona SC", (), "ECU"))
    with pytest.raises(AmbiguousTeam) as err:
        resolve("Barcelona", registry=reg)
    assert str(err.value) == ("f.txt: a team name needs settling with an alias (NAME=team-id): "
                              "'Barcelona' is ambiguous: it could be 'FC Barcelona' "
                              "(fc-barcelona), 'Barcelona SC' (barcelona-sc)")
    found = TeamMatcher(reg).resolve([("Barcelona", "ECU")], "f.txt")
    assert found["Barcelona"].team == "barcelona-sc"


@pytest.mark.parametrize(("name", "near"), [
    ("Feyenoord Rotterdam", "feyenoord"),  # a key with more words
    ("Racing Club de Lens", "rc-lens"),  # initials
    ("Bayer Leverkusn", "leverkusen"),  # a typo
])
def test_a_new_name_close_to_a_known_team_is_refused(name: str, near: str) -> None:
    with pytest.raises(AmbiguousTeam, match=rf"'{name}' is not a known team but is close to "
                       rf".*\({near}\) \(use '{name}={near}' for the same club"):
        resolve(name)


def test_a_close_team_already_claimed_by_another_name_of_the_file_is_no_candidate() -> None:
    reg = _registry(("austria-wien", "Austria Wien", (), None))
    found = resolve("Austria Wien", "Austria Wiener Neustadt", registry=reg)
    assert found["Austria Wiener Neustadt"] == ("austria-wiener-neustadt", "new")


def test_aliases_settle_names_to_known_teams_or_new_ids() -> None:
    found = resolve("Feyenoord Rotterdam", "Racing Club de Lens", aliases={
        "Feyenoord Rotterdam": "feyenoord", "racing club de lens": "racing-lens"})
    assert found == {"Feyenoord Rotterdam": ("feyenoord", "alias map"),
                     "Racing Club de Lens": ("racing-lens", "alias map")}
    with pytest.raises(SourceError, match="neither a known team nor a team id"):
        resolve("X", aliases={"X": "Not An Id!"})


def test_parse_aliases_from_flags_or_file_lines() -> None:
    assert parse_aliases(["Bayer 04 Leverkusen=leverkusen", "", "# comment",
                          "Inter = inter  # the Milan one"]) == {
        "Bayer 04 Leverkusen": "leverkusen", "Inter": "inter"}
    with pytest.raises(SourceError, match="write NAME=team-id"):
        parse_aliases(["leverkusen"])
