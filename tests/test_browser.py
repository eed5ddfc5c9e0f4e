"""The page in a real browser: Debian's chromium driven by Playwright (the system browser, by its path:
Playwright's own download cannot work here). A real clip uploaded, the progress bar moving, the result
playing beside the input, a bad upload's message; a screenshot for docs/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from waiting import HANG_GUARD, wait_until

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")
CHROMIUM = os.environ.get("VIDGAN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no system chromium (apt-get install chromium, or set VIDGAN_CHROMIUM)", allow_module_level=True)

from web import Server  # noqa: E402

from vidgan.web.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "horse.mp4"
# The flags a sandboxed, offline machine needs (no background connections, no GPU, no setuid sandbox as root).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]  # fmt: skip


@pytest.fixture
def browser_page(tmp_path, model, slow_frames):
    server = Server(Settings(root=tmp_path / "root"))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(server.url)
        try:
            yield page, server
        finally:
            browser.close()
            server.stop()


def test_a_clip_translated_in_the_browser(browser_page, tmp_path, model, slow_frames):
    page, server = browser_page
    page.wait_for_selector(f"#model option[value='{model}']", state="attached")
    page.select_option("#model", model)
    page.select_option("#size", "128")
    page.set_input_files("#file", str(SAMPLE))
    page.wait_for_function("document.getElementById('info').textContent.includes('frames/s')")
    assert "326x250" in page.inner_text("#info") and "video, 5.1 s" in page.inner_text("#info")
    page.click("#go")
    seen = set()

    def finished() -> bool:  # each frame takes 50 ms or more (slow_frames): the bar is seen moving
        value = page.evaluate("document.getElementById('bar').value")
        if 0 < value < 1:
            seen.add(round(value, 2))
        return page.is_visible("#result")

    wait_until(finished, "the translation in the page")
    assert len(seen) >= 3, seen  # the bar moved, from the pipeline's own progress
    assert page.inner_text("#status").startswith("done: 34 frames")
    page.click("#playboth")
    page.wait_for_function("document.querySelector('#outputView video').currentTime > 0.3", timeout=HANG_GUARD * 1000)
    playing = page.evaluate("""() => { const v = document.querySelector('#outputView video');
        return {error: v.error && v.error.code, width: v.videoWidth, height: v.videoHeight}; }""")
    assert playing == {"error": None, "width": 326, "height": 250}  # h264 in MP4, decoded by the browser
    assert page.evaluate("document.querySelector('#inputView video').readyState") >= 2
    docs = ROOT / "docs"
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    if os.environ.get("VIDGAN_SCREENSHOT"):  # refresh the one in docs/ on purpose only
        shutil.copy(tmp_path / "page.png", docs / "web_page.png")


def test_a_bad_upload_says_why(browser_page, tmp_path):
    page, _ = browser_page
    bad = tmp_path / "holiday.mp4"
    bad.write_text("this is not a video\n" * 100)
    page.set_input_files("#file", str(bad))
    page.wait_for_function("document.getElementById('error').textContent.length > 0")
    assert "not a video or an image" in page.inner_text("#error")
    assert page.is_disabled("#go")


def test_the_page_says_only_what_is_true_now(browser_page, tmp_path, model, monkeypatch):
    """After a finished job a new upload clears its status and bar; after a cancel and a bad upload only the
    upload's error is shown; after a failed job Translate works again on the same file; the download is
    named after the input."""
    from vidgan.engine.translator import FrameTranslator
    from vidgan.errors import VidganError

    page, _ = browser_page
    page.wait_for_selector(f"#model option[value='{model}']", state="attached")
    page.select_option("#model", model)
    page.set_input_files("#file", str(SAMPLE))
    page.wait_for_function("!document.getElementById('go').disabled")
    page.click("#go")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('done')",
                           timeout=HANG_GUARD * 1000)  # fmt: skip
    assert page.get_attribute("#download", "download") == "horse_tiny.mp4"
    page.set_input_files("#file", str(SAMPLE))
    page.wait_for_function("!document.getElementById('go').disabled")
    assert page.inner_text("#status") == "" and page.is_hidden("#bar") and page.is_hidden("#result")

    page.click("#go")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('translating')",
                           timeout=HANG_GUARD * 1000)  # fmt: skip
    page.click("#cancel")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n" * 50)
    page.set_input_files("#file", str(bad))
    page.wait_for_function("document.getElementById('error').textContent.length > 0")
    assert page.inner_text("#status") == ""  # the cancel's line went with the new upload

    run = FrameTranslator.run

    def fails(self, frames, crop=None):
        raise VidganError("the input broke off")

    monkeypatch.setattr(FrameTranslator, "run", fails)
    page.set_input_files("#file", str(SAMPLE))
    page.wait_for_function("!document.getElementById('go').disabled")
    page.click("#go")
    page.wait_for_function("document.getElementById('status').textContent === 'failed'", timeout=HANG_GUARD * 1000)
    assert "broke off" in page.inner_text("#error") and page.is_enabled("#go")
    monkeypatch.setattr(FrameTranslator, "run", run)
    page.click("#go")  # the same file again, without a new upload
    page.wait_for_function("document.getElementById('status').textContent.startsWith('done')",
                           timeout=HANG_GUARD * 1000)  # fmt: skip
