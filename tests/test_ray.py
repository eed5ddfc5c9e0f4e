"""Translation as Ray tasks, on a real local Ray instance with 2 CPUs (no mocks): outputs equal to the
single-process run, resume, a broken clip among good ones, a worker killed mid-task, segments, Ctrl-C."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from clips import DiesOnce, Invert, audio_packets, make_clip, read_video
from PIL import Image
from waiting import wait_until

from vidgan.engine.translator import FrameTranslator
from vidgan.models.checkpoints import LoadedModel
from vidgan.pipeline.clip import translate_clip
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.plan import plan_job, run_plan
from vidgan.video.formats import EncodeSettings

ray = pytest.importorskip("ray", reason="the Ray extra is not installed: pip install -e '.[test,ray]'")
from vidgan.pipeline.ray import LONG_CLIPS, RayOptions, translate_on_ray  # noqa: E402

TESTS = Path(__file__).parent
OPTIONS = TranslateOptions(quiet=True, size=None, encode=EncodeSettings(crf=0))


@pytest.fixture(scope="module")
def local_ray():
    """One local instance for the module; workers import the test models from this folder."""
    path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})  # fmt: skip
    yield
    ray.shutdown()


def folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    make_clip(src / "a.mp4", frames=8, audio="aac")
    make_clip(src / "sub" / "b.mkv", frames=5, width=64, height=48)
    make_clip(src / "c.mp4", frames=6, times=[0, 0.1, 0.15, 0.4, 0.5, 0.9])
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 56, 3), dtype=np.uint8)).save(src / "d.png")
    (src / "broken.mp4").write_bytes(b"not a video")
    return src


def run_on_ray(src: Path, out: Path, model, options=OPTIONS):
    plan = plan_job(src, out, "", options, recursive=True, long_clips=LONG_CLIPS)
    return translate_on_ray(plan, LoadedModel("test", model), options, RayOptions())


def same_outputs(a: Path, b: Path) -> None:
    for path in sorted(a.rglob("*.*")):
        other = b / path.relative_to(a)
        if path.suffix == ".png":
            assert np.array_equal(np.asarray(Image.open(path)), np.asarray(Image.open(other)))
        else:
            (fa, ta), (fb, tb) = read_video(path), read_video(other)
            assert ta == tb and np.array_equal(np.stack(fa), np.stack(fb)), path.name


def test_a_folder_on_ray_equals_the_single_process_run_and_resumes(local_ray, tmp_path):
    src = folder(tmp_path)
    results = run_on_ray(src, tmp_path / "ray", Invert())
    single = run_plan(plan_job(src, tmp_path / "one", "", OPTIONS, recursive=True),
                      FrameTranslator(Invert(), torch.device("cpu")), OPTIONS)  # fmt: skip
    assert [(r.src.name, bool(r.error)) for r in results] == [(r.src.name, bool(r.error)) for r in single]
    assert [r.src.name for r in results if r.error] == ["broken.mp4"]  # the others finished
    assert "not a video" in next(r.error for r in results if r.error)
    assert sorted(p.name for p in (tmp_path / "ray").rglob("*")) == sorted(
        p.name for p in (tmp_path / "one").rglob("*")
    )
    same_outputs(tmp_path / "one", tmp_path / "ray")
    assert audio_packets(tmp_path / "ray" / "a.mp4") == audio_packets(tmp_path / "one" / "a.mp4")

    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "ray").rglob("*.*")}
    again = run_on_ray(src, tmp_path / "ray", Invert())  # a rerun: finished outputs are skipped
    assert sum(r.skipped for r in again) == 4 and [r.src.name for r in again if r.error] == ["broken.mp4"]
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "ray").rglob("*.*")} == before


def test_a_killed_worker_has_its_task_run_again(local_ray, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    make_clip(src / "a.mp4", frames=6)
    marker = tmp_path / "pid"

    def kill_when_waiting() -> None:
        while not marker.exists():
            time.sleep(0.05)
        os.kill(int(marker.read_text()), signal.SIGKILL)

    killer = threading.Thread(target=kill_when_waiting, daemon=True)
    killer.start()
    [result] = run_on_ray(src, tmp_path / "out", DiesOnce(str(marker)))
    killer.join(timeout=5)
    assert result.error is None and result.frames == 6
    translate_clip(src / "a.mp4", tmp_path / "one.mp4", FrameTranslator(Invert(), torch.device("cpu")), OPTIONS)
    (a, ta), (b, tb) = read_video(tmp_path / "out" / "a.mp4"), read_video(tmp_path / "one.mp4")
    assert ta == tb and np.array_equal(np.stack(a), np.stack(b))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.mp4"]  # no temporary file left


def test_segments_of_a_clip_as_separate_tasks(local_ray, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    make_clip(src / "long.mp4", frames=30, rate=12, audio="aac",
              options={"x264-params": "keyint=6:min-keyint=6:scenecut=0"})  # fmt: skip
    options = TranslateOptions(**{**OPTIONS.__dict__, "segment": 0.5})
    [result] = run_on_ray(src, tmp_path / "out", Invert(), options)
    assert result.error is None and result.frames == 30
    translate_clip(src / "long.mp4", tmp_path / "one.mp4", FrameTranslator(Invert(), torch.device("cpu")), OPTIONS)
    (a, ta), (b, tb) = read_video(tmp_path / "out" / "long.mp4"), read_video(tmp_path / "one.mp4")
    assert ta == tb and np.array_equal(np.stack(a), np.stack(b))
    assert audio_packets(tmp_path / "out" / "long.mp4") == audio_packets(tmp_path / "one.mp4")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["long.mp4"]  # parts removed


INTERRUPTED = """
import sys
from clips import SlowInvert
from vidgan.api import translate
from vidgan.pipeline.ray import RayOptions
from vidgan.pipeline.options import TranslateOptions
try:
    translate(sys.argv[1], sys.argv[2], SlowInvert(), TranslateOptions(quiet=True, size=None), ray=RayOptions())
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_ctrl_c_on_the_driver_leaves_nothing_half_written(tmp_path):
    """Ctrl-C (SIGINT to the terminal's process group: the driver and the Ray processes it started) while
    tasks write: the run stops with 130, no output or temporary file is left, nor the folder it made."""
    src = tmp_path / "in"
    src.mkdir()
    for name in "ab":
        make_clip(src / f"{name}.mp4", frames=60)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    driver = subprocess.Popen([sys.executable, "-c", INTERRUPTED, str(src), str(out)], env=env,
                              start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    wait_until(lambda: out.is_dir() and any(".tmp" in p.name for p in out.iterdir()), "a task writing",
               alive=lambda: driver.poll() is None)  # fmt: skip
    os.killpg(driver.pid, signal.SIGINT)
    assert driver.wait() == 130, driver.communicate()[0][-2000:]
    assert not out.exists()


def test_the_command_line_runs_a_folder_on_ray(local_ray, tmp_path, tiny_model):
    """`vidgan translate DIR -o OUT -r --ray`: the table at the end, a non-zero exit for the broken file."""
    from click.testing import CliRunner

    from vidgan.cli import main

    src = folder(tmp_path)
    result = CliRunner().invoke(main, ["translate", str(src), "-o", str(tmp_path / "out"), "-r", "-m", str(tiny_model),
                                       "--size", "32", "--ray", "-q"])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "4 translated, 0 skipped, 1 failed" in result.output
    assert len(list((tmp_path / "out").rglob("*.*"))) == 4


def test_the_server_sends_its_jobs_to_ray(local_ray, tmp_path, model):
    """`vidgan serve --ray`: a job runs as Ray tasks and gives what the queue in the process gives: the same
    frame times, and the same frames up to float rounding (a Ray task runs torch on 1 thread, the process on
    2: on some CPUs the sums come out in another order, which moves a few pixels by a level; lossless
    encoding keeps that from growing)."""
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    from web import Server, finished, http, post_job

    from vidgan.web.settings import Settings

    clip = make_clip(tmp_path / "clip.mp4", 48, 32, frames=6)
    results = {}
    for name, ray_address in (("here", None), ("ray", "local")):
        server = Server(Settings(root=tmp_path / name, ray=ray_address))
        try:
            job = post_job(server.url, clip, model=model, size="32", crf="0").json()
            status = finished(server.url, job["id"])
            assert status["status"] == "done", status
            results[name] = http.get(f"{server.url}/api/jobs/{job['id']}/result").content
        finally:
            server.stop()
    (tmp_path / "a.mp4").write_bytes(results["here"])
    (tmp_path / "b.mp4").write_bytes(results["ray"])
    (fa, ta), (fb, tb) = read_video(tmp_path / "a.mp4"), read_video(tmp_path / "b.mp4")
    assert ta == tb
    difference = np.abs(np.stack(fa).astype(int) - np.stack(fb))
    assert difference.max() <= 4 and difference.mean() < 0.05, (difference.max(), difference.mean())
