"""The page in a real browser: Debian's chromium driven by Playwright (the system browser, by its path:
Playwright's own download cannot work here). A real clip uploaded, the progress bar moving, the result
playing beside the input, a bad upload's message; a screenshot for docs/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch
from conftest import SHARED
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
def browser_page(tmp_path, model):
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


def test_a_clip_translated_in_the_browser(browser_page, tmp_path, model, gate):
    page, server = browser_page
    page.wait_for_selector(f"#model option[value='{model}']", state="attached")
    page.select_option("#model", model)
    page.select_option("#size", "128")
    page.set_input_files("#file", str(SAMPLE))
    page.wait_for_function("document.getElementById('info').textContent.includes('frames/s')")
    assert "326x250" in page.inner_text("#info") and "video, 5.1 s" in page.inner_text("#info")
    page.click("#go")
    seen = [0.0]
    for _ in range(3):  # a batch at a time (the gate): the bar moves with the pipeline's own progress
        gate.allow(1)
        seen.append(wait_until(lambda: (v := page.evaluate("document.getElementById('bar').value")) > seen[-1] and v,
                               "the bar to move"))  # fmt: skip
    assert seen[-1] < 1, seen
    gate.open()
    wait_until(lambda: page.is_visible("#result"), "the translation in the page")
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
    held = []  # the cancel's answer held back until the new upload is in, as a busy server may send it
    page.route("**/api/jobs/*", lambda r: held.append(r) if r.request.method == "DELETE" else r.continue_())
    page.click("#cancel")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n" * 50)
    page.set_input_files("#file", str(bad))
    page.wait_for_function("document.getElementById('error').textContent.length > 0")
    assert held, "the cancel went before the upload, so its route ran first"
    with page.expect_response(lambda r: r.request.method == "DELETE"):
        held[0].continue_()
    page.unroute("**/api/jobs/*")
    page.evaluate("() => fetch('api/models').then((r) => r.json())")  # a round trip after the cancel's answer
    assert page.inner_text("#status") == ""  # the cancel's line went with the new upload, and stays gone

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


class HalfMask(torch.nn.Module):
    """A masked 'generator' for the live test: content the input's negative, mask 1 on the left half of the
    frame and 0 on the right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.zeros_like(x[:, :1])
        mask[..., : x.shape[-1] // 2] = 1.0
        return torch.cat([-x, mask], dim=1)


def fake_camera(path: Path, seconds: float = 4.0) -> Path:
    """A real clip (the zebra clip, scaled to 640x480) as a y4m file for Chromium's fake camera."""
    import av
    import numpy as np

    clip = SHARED / "videos" / "zebra_640x360_aac.mp4"
    with av.open(str(clip)) as src, av.open(str(path), "w", format="yuv4mpegpipe") as out:
        stream = out.add_stream("rawvideo", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for i, frame in enumerate(src.decode(video=0)):
            if i >= seconds * 30:
                break
            rgb = np.asarray(frame.to_image().resize((640, 480)))
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_the_live_mode_translates_the_camera_and_stop_frees_the_session(tmp_path, model, monkeypatch):
    """Chromium's fake camera plays a real clip; the page's live mode sends it over WebRTC and shows what
    comes back: translated inside the mask (the left half), the camera's own pixels outside it; the
    frames/s shown; Stop ends the session on the server."""
    if not (SHARED / "videos").is_dir():
        pytest.skip(f"reference clips not found at {SHARED}")
    import numpy as np

    from vidgan.engine.translator import FrameTranslator
    from vidgan.pipeline.live import LiveTranslator
    from vidgan.web.queue import JobQueue

    monkeypatch.setattr(
        JobQueue, "live_translator", lambda self, name: FrameTranslator(HalfMask(), torch.device("cpu"))
    )
    seen, translate = [], LiveTranslator.translate

    def recorded(self, rgb):
        out = translate(self, rgb)
        seen.append((rgb, out))
        return out

    monkeypatch.setattr(LiveTranslator, "translate", recorded)
    camera = fake_camera(tmp_path / "camera.y4m")
    server = Server(Settings(root=tmp_path / "root"))
    flags = [*FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             f"--use-file-for-fake-video-capture={camera}"]  # fmt: skip
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=flags, headless=True)
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.goto(server.url)
            page.wait_for_selector(f"#model option[value='{model}']", state="attached")
            page.select_option("#model", model)
            page.select_option("#livesize", "128")
            page.click("#livego")
            page.wait_for_function("document.getElementById('translated').currentTime > 0.5", timeout=HANG_GUARD * 1000)
            page.wait_for_function("document.getElementById('livestats').textContent.includes('frames/s')",
                                   timeout=HANG_GUARD * 1000)  # fmt: skip
            assert page.evaluate("document.getElementById('translated').videoWidth") == 640
            page.screenshot(path=str(tmp_path / "live.png"), full_page=True)
            if os.environ.get("VIDGAN_SCREENSHOT"):
                shutil.copy(tmp_path / "live.png", ROOT / "docs" / "web_live.png")
            assert len(server.app.live.sessions) == 1
            page.click("#livestop")
            wait_until(lambda: not server.app.live.sessions, "the live session to end")
            browser.close()
    finally:
        server.stop()
    assert len(seen) >= 5
    for rgb, out in seen:
        half = rgb.shape[1] // 2
        assert np.array_equal(out[:, half + 8 :], rgb[:, half + 8 :])  # outside the mask: the camera itself
        assert np.abs(out[:, : half - 8].astype(int) - rgb[:, : half - 8]).mean() > 30  # inside: translated
