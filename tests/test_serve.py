"""`vidgan serve`: the API against a real server on 127.0.0.1 (uvicorn in a thread), a tiny model: upload,
poll, result equal to the CLI's; refusals; the upload limit; cancel; several jobs; a failure that does not
block the queue; authentication; nothing left behind."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from clips import make_clip, read_video
from waiting import wait_until

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
pytest.importorskip("httpx")
from web import Server, finished, http, post_job  # noqa: E402

from vidgan.cli import main  # noqa: E402
from vidgan.web.security import check_binding, load_credentials  # noqa: E402
from vidgan.web.settings import Settings  # noqa: E402


@pytest.fixture
def server(tmp_path, model):
    s = Server(Settings(root=tmp_path / "root", max_upload=2_000_000, keep=600))
    yield s
    s.stop()


def test_a_job_gives_what_the_command_line_gives(server, tmp_path, model):
    clip = make_clip(tmp_path / "clip.mp4", 64, 48, frames=10, audio="aac")
    answer = post_job(server.url, clip, model=model, size="32", start="0.25", duration="0.5")
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["status"] == "queued" and len(job["id"]) >= 20  # unguessable
    status = finished(server.url, job["id"])  # by long polls
    assert status["status"] == "done", status
    assert status["progress"] == 1.0 and status["frames_done"] == status["frames_total"] == 6
    assert status["input"]["width"] == 64 and status["input"]["audio"] == "aac"
    result = http.get(f"{server.url}/api/jobs/{job['id']}/result")
    assert result.status_code == 200
    (tmp_path / "served.mp4").write_bytes(result.content)
    cli = CliRunner().invoke(main, ["translate", str(clip), "-m", model, "--size", "32", "--start", "0.25",
                                    "--duration", "0.5", "-o", str(tmp_path / "cli.mp4"), "-q"])  # fmt: skip
    assert cli.exit_code == 0, cli.output
    (served, served_times), (by_cli, cli_times) = read_video(tmp_path / "served.mp4"), read_video(tmp_path / "cli.mp4")
    assert len(served) == len(by_cli) == 6 and served_times == cli_times
    assert http.get(f"{server.url}/api/jobs/{job['id']}/input").content == clip.read_bytes()
    assert http.delete(f"{server.url}/api/jobs/{job['id']}").status_code == 200
    assert http.get(f"{server.url}/api/jobs/{job['id']}").status_code == 404
    assert not any((tmp_path / "root").iterdir())  # its folder went with it


def test_a_compare_job_puts_the_input_beside_the_output(server, tmp_path, model):
    clip = make_clip(tmp_path / "clip.mp4", 64, 48, frames=3)
    job = post_job(server.url, clip, model=model, size="32", compare="1").json()
    assert finished(server.url, job["id"])["status"] == "done"
    (tmp_path / "served.mp4").write_bytes(http.get(f"{server.url}/api/jobs/{job['id']}/result").content)
    frames, _ = read_video(tmp_path / "served.mp4")
    assert frames[0].shape == (48, 2 * 64, 3)  # an unmasked model: no mask panel


def test_refusals_are_one_line_4xx(server, tmp_path, model):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 40)
    clip = make_clip(tmp_path / "clip.mp4", 32, 32, frames=3)
    cases = [
        (post_job(server.url, text, model=model), 415, "not a video or an image"),
        (post_job(server.url, clip, model="nosuchmodel"), 400, "unknown model 'nosuchmodel'"),
        (post_job(server.url, clip, model="/etc/passwd"), 400, "chosen by name"),
        (post_job(server.url, clip, model=model, size="big"), 400, "'big' is not a size"),
        (post_job(server.url, clip, model=model, start="soon"), 400, "'soon' is not a time"),
        (post_job(server.url, clip, model=model, colour="blue"), 400, "unknown option(s): colour"),
        (post_job(server.url, clip, model=model, compare="maybe"), 400, "compare: 'maybe' is neither 1 nor 0"),
        (http.get(f"{server.url}/api/jobs/nosuchjob"), 404, "no such job"),
        (http.post(f"{server.url}/api/jobs", data={"model": model}), 400, "no file"),
    ]
    for response, status, message in cases:
        assert response.status_code == status, (response.status_code, response.text)
        error = response.json()["error"]
        assert message in error and "\n" not in error, error
    assert not any((tmp_path / "root").iterdir())  # nothing kept of a refused job


def test_an_upload_over_the_limit_is_413(server, tmp_path):
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * 3_000_000)
    response = post_job(server.url, big)
    assert response.status_code == 413 and "larger than this server takes" in response.json()["error"]

    def chunks():  # a well-formed multipart body without a Content-Length: the limit is found while reading
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
        for _ in range(30):
            yield b"\0" * 100_000
        yield b"\r\n--x--\r\n"

    response = http.post(f"{server.url}/api/uploads", content=chunks(),
                          headers={"content-type": "multipart/form-data; boundary=x"})  # fmt: skip
    assert response.status_code == 413


def test_cancel_mid_job_leaves_nothing(server, tmp_path, model, gate):
    clip = make_clip(tmp_path / "clip.mp4", 64, 48, frames=120)
    job = post_job(server.url, clip, model=model, size="32").json()
    gate.allow(5)
    wait_until(lambda: gate.passed >= 5 and gate.waiting, "five batches, and the sixth held")
    status = wait_until(lambda: (s := http.get(f"{server.url}/api/jobs/{job['id']}").json())["frames_done"] and s,
                        "the first frames encoded")  # fmt: skip
    assert status["status"] == "running" and 0 < status["progress"] < 1
    assert status["frames_per_s"] and status["seconds_left"]
    assert http.delete(f"{server.url}/api/jobs/{job['id']}").status_code == 200
    gate.open()
    wait_until(lambda: not any((tmp_path / "root").iterdir()), "the cancelled job's folder to go")
    after = post_job(server.url, make_clip(tmp_path / "next.mp4", 32, 32, frames=3), model=model, size="32").json()
    assert finished(server.url, after["id"])["status"] == "done"  # the queue goes on


def test_three_jobs_queue_and_all_finish(server, tmp_path, model, gate):
    clip = make_clip(tmp_path / "clip.mp4", 32, 32, frames=8)
    jobs = [post_job(server.url, clip, model=model, size="32").json()["id"] for _ in range(3)]
    positions = [http.get(f"{server.url}/api/jobs/{j}").json()["queue_position"] for j in jobs]
    assert positions[2] in (1, 2)  # the third waits behind what has not started (the gate holds the first)
    gate.open()
    for j in jobs:
        assert finished(server.url, j)["status"] == "done"


def test_a_failed_job_does_not_block_the_next(server, tmp_path, model, monkeypatch):
    from vidgan.engine.translator import FrameTranslator
    from vidgan.errors import VidganError

    run, calls = FrameTranslator.run, []

    def breaks_once(self, frames, crop=None):
        calls.append(1)
        if len(calls) == 2:
            raise VidganError("the input broke off at frame 2")
        return run(self, frames, crop)

    monkeypatch.setattr(FrameTranslator, "run", breaks_once)
    clip = make_clip(tmp_path / "clip.mp4", 32, 32, frames=4)
    first = post_job(server.url, clip, model=model, size="32").json()
    second = post_job(server.url, clip, model=model, size="32").json()
    failed = finished(server.url, first["id"])
    assert failed["status"] == "failed" and "broke off" in failed["error"]
    assert http.get(f"{server.url}/api/jobs/{first['id']}/result").status_code == 409
    assert finished(server.url, second["id"])["status"] == "done"


def test_authentication_and_shutdown(tmp_path, model):
    server = Server(Settings(root=tmp_path / "root"), users={"me": "secret"})
    clip = make_clip(tmp_path / "clip.mp4", 32, 32, frames=3)
    try:
        assert http.get(f"{server.url}/api/models").status_code == 401
        assert http.get(server.url, auth=("me", "wrong")).status_code == 401
        page = http.get(server.url, auth=("me", "secret"))
        assert page.status_code == 200 and "<title>vidgan</title>" in page.text
        with open(clip, "rb") as f:
            response = http.post(f"{server.url}/api/uploads", files={"file": ("x", f)}, auth=("me", "secret"))
        assert response.status_code == 201 and response.json()["kind"] == "video"
        assert any((tmp_path / "root").iterdir())
    finally:
        server.stop()
    assert not any((tmp_path / "root").iterdir())  # shutdown deletes every file


def test_a_wider_binding_needs_credentials():
    check_binding("127.0.0.1", None)
    check_binding("::1", None)
    check_binding("0.0.0.0", {"me": "secret"})
    with pytest.raises(Exception, match="credentials"):
        check_binding("0.0.0.0", None)
    with pytest.raises(Exception, match="USER:PASSWORD"):
        load_credentials("token")
