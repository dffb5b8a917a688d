"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright.

The match centre updates without a reload when a goal is appended through the API; the bracket
slider goes back to 12 April 2024; the operator console records a card, a substitution and an
amendment. Screenshots are saved beside the test's files (``tests/screenshots/match-centre.png``
is the README's, refreshed with MATCHLEDGER_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import AUTH, SF1, TOKEN, demo_ledger, running

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
README_SHOT = "match-centre"  # the one the README shows
# as root, offline: no sandbox, and none of the background traffic a closed network refuses
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium "
                                       "(apt-get install chromium; .ci/run installs it)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=ARGS, headless=True,
            viewport={"width": 420, "height": 860}, device_scale_factor=1)
        yield context
        context.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = demo_ledger(tmp_path_factory.mktemp("site") / "demo.db")
    with running(db) as base:
        yield base


def shoot(page: Any, name: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if name == README_SHOT and os.environ.get("MATCHLEDGER_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SCREENSHOTS / path.name)
    return path


def test_the_match_centre_shows_a_goal_within_two_seconds_without_a_reload(
        browser: Any, site: str, tmp_path: Path) -> None:
    page = browser.new_page()
    with httpx.Client(base_url=site, headers=AUTH) as http:
        assert http.post(f"/api/matches/{SF1}/whistle", json={
            "what": "kick-off", "at": "2024-05-02T21:00+02:00"}).status_code == 201
        page.goto(f"{site}/matches/{SF1}")
        page.wait_for_selector("#feed-state:has-text('connected')", timeout=5000)
        assert page.inner_text("#score") == "0-0"
        page.evaluate("window.notReloaded = true")
        assert http.post(f"/api/matches/{SF1}/goal", json={
            "team": "Marseille", "player": "Chancel Mbemba", "minute": 11,
            "at": "2024-05-02T21:11+02:00"}).status_code == 201
        page.wait_for_function("document.getElementById('score').textContent.trim() === '1-0'",
                               timeout=2000)
    assert page.evaluate("window.notReloaded") is True
    assert "Chancel Mbemba" in page.inner_text(".timeline")
    assert shoot(page, "match-centre", tmp_path).stat().st_size > 0
    page.close()


def test_the_bracket_slider_goes_back_to_12_april(browser: Any, site: str,
                                                  tmp_path: Path) -> None:
    page = browser.new_page()
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{site}/competitions/uel-2023-24")
    assert "still open: SF1" in page.inner_text("#still-open")
    moments = page.get_attribute("#as-of", "data-moments").split()
    page.eval_on_selector("#as-of", """(slider, i) => {
        slider.value = i; slider.dispatchEvent(new Event('input', {bubbles: true})); }""",
                          moments.index("2024-04-12"))
    page.wait_for_function("document.getElementById('as-of-label').textContent === "
                           "'2024-04-12' && document.getElementById('still-open')"
                           ".textContent.includes('QF1')", timeout=5000)
    assert page.inner_text("#still-open").startswith("still open: QF1, QF2, QF3, QF4, SF1")
    quarter_finals = page.locator(".round").first
    assert quarter_finals.locator(".open").count() == 4
    assert "Benfica or Marseille v Liverpool or Atalanta" in page.inner_text("#competition")
    assert page.url.endswith("?as_of=2024-04-12")
    shoot(page, "bracket-12-april", tmp_path)
    page.close()


def test_the_console_records_a_card_a_substitution_and_an_amendment(
        browser: Any, site: str, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(f"{site}/console/{SF1}")
    page.fill("#token", TOKEN)
    page.dispatch_event("#token", "change")
    form = page.locator("#card-form")
    form.locator("input[name=team][value=atalanta]").check()
    form.locator("input[name=player]").fill("Scalvini")
    form.locator("input[name=minute]").fill("30")
    form.locator("button").click()  # typed without its time, into a match not live now
    page.wait_for_selector("#result.refused", timeout=5000)
    assert "is not live now" in page.inner_text("#result")
    page.fill("#at", "2024-05-02T21:30+02:00")  # when it happened, for the forms that follow
    form.locator("button").click()
    page.wait_for_selector("#result.ok", timeout=5000)
    assert "CardShown" in page.inner_text("#result")
    page.wait_for_selector(".timeline li.yellow", timeout=2000)  # the feed updated the board
    assert "Scalvini" in page.inner_text(".timeline")
    # a substitution, its players picked from the team's roster
    sub = page.locator("#sub-form")
    sub.locator("input[name=team][value=atalanta]").check()
    assert sub.locator("input[name=off]").get_attribute("list") == "players-atalanta"
    roster = page.eval_on_selector_all("#players-atalanta option", "os => os.map(o => o.value)")
    assert roster == ["Ademola Lookman", "Charles De Ketelaere", "Gianluca Scamacca",
                      "Giorgio Scalvini", "Mario Pasalic"]  # registered, or seen playing
    sub.locator("input[name=off]").fill(roster[2])
    sub.locator("input[name=on]").fill(roster[4])
    sub.locator("input[name=minute]").fill("35")
    sub.locator("button").click()
    page.wait_for_selector(".timeline li.substitution", timeout=2000)
    assert "Mario Pasalic on for Gianluca Scamacca" in page.inner_text(".timeline")
    # an amendment: the goal picked from the match's events, its minute put right
    amend = page.locator("#amend-form")
    amend.locator("select[name=event]").select_option(label=page.eval_on_selector(
        "#amend-event", "s => [...s.options].find(o => o.text.includes('Mbemba')).text"))
    amend.locator("input[name=minute]").fill("12")
    amend.locator("input[name=reason]").fill("official report")
    amend.locator("button").click()
    page.wait_for_selector("#result.ok:has-text('EventRetracted')", timeout=5000)
    page.wait_for_function("document.querySelector('.timeline li.goal .minute')"
                           ".textContent === \"12'\"", timeout=2000)
    # the list follows the feed too, by a fetch of its own that may land after the board's
    page.wait_for_function("document.querySelector('#amend-event').textContent"
                           ".includes(\"Mbemba 12'\")", timeout=2000)
    # a refusal is shown inline, one line
    form.locator("input[name=player]").fill("Scalvini")
    form.locator("select[name=card]").select_option("yellow")
    page.fill("#token", "wrong-token-000")
    form.locator("button").click()
    page.wait_for_selector("#result.refused", timeout=5000)
    assert "write token" in page.inner_text("#result")
    shoot(page, "console", tmp_path)
    page.close()
