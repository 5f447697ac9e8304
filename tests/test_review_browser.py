"""The review page in a real headless browser: Debian's chromium and chromedriver driven by Selenium
against the real server process. A reviewer rejects one example with a reason (by keyboard), edits
another's response, replaces a third with a reserve candidate; the review file holds those three
decisions and a build with it verifies. A script in a candidate's body shows as text and never runs.

Without chromium these tests skip, saying why; with LIMA_REQUIRE_BROWSER=1 (.ci/run) they fail
instead, so CI cannot pass without having run them. LIMA_REVIEW_SCREENSHOTS=DIR keeps screenshots of
the subset list, an example page and the edit form.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SAMPLE_INPUTS, cli
from test_review_app import HOSTILE, review_server, sample_set, write_reserve

from lima_curate import review

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def missing_browser() -> str:
    """Why the browser tests cannot run here, or ""."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    for module in ("selenium", "starlette", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install -e '.[dev]')"
    return ""


@pytest.fixture(scope="module")
def browser():
    """A headless chromium through the Debian chromedriver; Selenium Manager is never asked (no network)."""
    why = missing_browser()
    if why:
        if os.environ.get("LIMA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LIMA_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def screenshot(driver, name: str) -> None:
    folder = os.environ.get("LIMA_REVIEW_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))


def saved_line(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "saved").text


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sample set built afresh (about 10 s), with a reserve of its own until the build publishes one."""
    out = tmp_path_factory.mktemp("review-built") / "set"
    result = cli(
        "build", "--recipe", "sample", *[a for i in SAMPLE_INPUTS for a in ("--input", i)], "--out", str(out), "--no-cache"
    )
    assert result.returncode == 0, result.stderr
    if not (out / "reserve.jsonl").exists():
        write_reserve(out)
    return out


@pytest.fixture(scope="module")
def reviewed_in_browser(browser, built) -> tuple[Path, list[str]]:
    """A reviewer's session on the built set: reject (keyboard), edit, replace. (review file, the three ids)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    body = lambda: browser.find_element(By.TAG_NAME, "body")  # noqa: E731
    with review_server(built, "--reviewer", "browser") as (_, url):
        browser.get(url)
        assert browser.current_url.endswith("/") and "token" not in browser.current_url  # the token left the URL
        assert "0 / 8" in browser.find_element(By.ID, "subset-se_stem").text
        screenshot(browser, "subsets.png")
        browser.find_element(By.LINK_TEXT, "se_stem").click()
        browser.find_elements(By.CSS_SELECTOR, "table.examples a")[0].click()
        first = browser.find_element(By.ID, "example-id").text
        assert browser.find_element(By.ID, "scores").find_elements(By.TAG_NAME, "tr")  # the recipe's filters ran
        screenshot(browser, "example.png")

        body().send_keys("?")  # the shortcuts' help
        assert browser.find_element(By.ID, "help").is_displayed()
        body().send_keys(Keys.ESCAPE)
        assert not browser.find_element(By.ID, "help").is_displayed()
        body().send_keys("r")  # reject, by keyboard: r focuses the reason, Enter rejects
        reason = browser.switch_to.active_element
        assert reason.get_attribute("id") == "reject-reason"
        Select(reason).select_by_visible_text("formatting")
        reason.send_keys(Keys.ENTER)
        assert saved_line(browser).startswith(f"Saved: reject of {first} (formatting)")

        second = browser.find_element(By.ID, "example-id").text  # the page moved on to the next example
        body().send_keys("e")
        area = browser.find_element(By.ID, "edit-text")
        original = area.get_attribute("value")
        screenshot(browser, "edit.png")
        area.send_keys(Keys.CONTROL, Keys.END)
        area.send_keys("\n\nEdited in review: a closing line.")
        area.send_keys(Keys.CONTROL, Keys.ENTER)
        assert saved_line(browser).startswith(f"Saved: edit of the response of {second}")
        assert "Edited in review: a closing line." in browser.find_element(By.ID, "response").text

        body().send_keys("j")
        third = browser.find_element(By.ID, "example-id").text
        candidate = browser.find_element(By.ID, "candidate-1")
        candidate.find_element(By.TAG_NAME, "summary").click()
        chosen = candidate.find_element(By.CSS_SELECTOR, "summary code").text
        candidate.find_element(By.CLASS_NAME, "replace-button").click()
        assert saved_line(browser).startswith(f"Saved: replace of {third}")
        browser.get(url.split("?")[0])  # the subsets again: se_stem's progress counts the three decisions
        assert "3 / 8" in browser.find_element(By.ID, "subset-se_stem").text
        screenshot(browser, "progress.png")
        assert original == response_of(built / "manifest.jsonl", second)  # the form started from the text, whole
    return built / review.REVIEW_FILE, [first, second, third, chosen]


def response_of(path: Path, example_id: str) -> str:
    """An example's response (its last assistant turn) in a set's file."""
    for line in path.read_text(encoding="utf-8").splitlines():
        example = json.loads(line)
        if example["id"] == example_id:
            return example["messages"][review.edit_target(example["messages"], "response")]["content"]
    raise AssertionError(example_id)


def test_reject_edit_and_replace_in_the_browser_land_in_the_review_file(reviewed_in_browser):
    path, (first, second, third, chosen) = reviewed_in_browser
    records = review.read(path)
    assert [(r["id"], r["action"]) for r in records] == [(first, "reject"), (second, "edit"), (third, "replace")]
    assert records[0]["reason"] == "formatting" and records[2]["with"] == chosen
    assert records[1]["field"] == "response" and "Edited in review: a closing line." in records[1]["patch"]
    assert {r["reviewer"] for r in records} == {"browser"}


@pytest.fixture(scope="module")
def rebuilt(reviewed_in_browser, tmp_path_factory) -> Path:
    """The sample set built again with the browser's review file (about 10 s)."""
    path, _ = reviewed_in_browser
    out = tmp_path_factory.mktemp("review-rebuilt") / "reviewed"
    inputs = [a for i in SAMPLE_INPUTS for a in ("--input", i)]
    result = cli("build", "--recipe", "sample", *inputs, "--review", str(path), "--out", str(out), "--no-cache")
    assert result.returncode == 0, result.stderr
    return out


def test_a_build_with_the_browser_review_file_verifies(reviewed_in_browser, rebuilt):
    """About 10 s: the build applied the three decisions and verify rebuilds the set byte for byte."""
    _, (first, second, third, chosen) = reviewed_in_browser
    out = rebuilt
    ids = [json.loads(line)["id"] for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert first not in ids and third not in ids and chosen in ids and second in ids
    edited = next(
        json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines() if json.loads(line)["id"] == second
    )
    assert edited["messages"][1]["content"].endswith("Edited in review: a closing line.") and "edited" in edited["meta"]
    verified = cli("verify", str(out / "manifest.jsonl"))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_page_reopened_on_the_reviewed_build_shows_the_state_before_it(browser, reviewed_in_browser, rebuilt):
    """The rebuilt manifest holds the decisions; the page reviews its draw (sampled.jsonl), so the three
    decisions show as they were made: the reject and the replace in force, the edit applied, not stale."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path, (first, second, third, chosen) = reviewed_in_browser
    with review_server(rebuilt, "--review-file", str(path)) as (_, url):
        browser.get(url)
        assert "3 / 8" in browser.find_element(By.ID, "subset-se_stem").text and browser.find_element(By.ID, "drawn")
        screenshot(browser, "reopened.png")
        site = url.split("?")[0]
        browser.get(site + f"example/{first}")
        assert browser.find_element(By.ID, "decision").text.startswith("reject")
        browser.get(site + f"example/{second}")
        assert "stale" not in browser.find_element(By.ID, "decision").text
        assert browser.find_element(By.ID, "response").text.endswith("Edited in review: a closing line.")
        browser.get(site + f"example/{third}")
        decision = browser.find_element(By.ID, "decision").text
        assert decision.startswith("replace") and f"with {chosen}" in decision
        assert browser.find_element(By.CSS_SELECTOR, "#candidates summary code").text == chosen
        browser.get(site + f"edit/response/{second}")  # a second edit is made on the draw's text, as the build patches it
        area = browser.find_element(By.ID, "edit-text")
        area.send_keys(Keys.CONTROL, Keys.END)
        area.send_keys(" Twice.")
        area.send_keys(Keys.CONTROL, Keys.ENTER)
        assert saved_line(browser).startswith(f"Saved: edit of the response of {second}")
    second_edit = review.read(path)[-1]
    assert second_edit["base_sha256"] == review.text_sha256(response_of(rebuilt / "sampled.jsonl", second))
    assert review.apply_edit(response_of(rebuilt / "sampled.jsonl", second), second_edit).endswith("closing line. Twice.")


def test_script_and_onerror_in_a_candidate_show_as_text_and_never_run(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    folder = sample_set(tmp_path)  # its last example's response and each subset's first candidate are HOSTILE
    with review_server(folder) as (_, url):
        browser.get(url)
        browser.find_element(By.LINK_TEXT, "se_stem").click()
        browser.find_elements(By.CSS_SELECTOR, "table.examples a")[0].click()
        candidate = browser.find_element(By.ID, "candidate-1")
        candidate.find_element(By.TAG_NAME, "summary").click()
        assert HOSTILE in candidate.text  # the markup, as text a reviewer reads
        last = json.loads((folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()[-1])["id"]
        browser.get(url.split("?")[0] + f"example/{last}")
        assert "<script>alert('xss')</script>" in browser.find_element(By.ID, "response").text
        assert not browser.find_elements(By.CSS_SELECTOR, "#response script, #response img, .candidate img")
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - an alert() that ran would be open here
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
