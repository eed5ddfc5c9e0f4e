"""Live translation (`vidgan live`, pipeline/live.py): frames dropped, never queued; the size chosen for the
rate; a file being written, completed on Ctrl-C."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from clips import Invert, read_video
from waiting import wait_until

from vidgan.engine.translator import FrameTranslator
from vidgan.pipeline.live import Latest, LiveFrame, LiveTranslator, choose_size


def frame(i: int) -> LiveFrame:
    return LiveFrame(np.full((48, 64, 3), i, np.uint8), captured=float(i), pts=i)


def test_frames_that_arrive_while_the_generator_works_are_dropped_not_queued():
    """Ten frames come while the generator is held on the first: when it is let go, the next it translates
    is the newest, and nine are counted dropped... less the one it was holding."""
    held, outputs = threading.Event(), []

    class Held(Invert):
        def forward(self, x):
            held.wait()
            return super().forward(x)

    live = LiveTranslator(FrameTranslator(Held(), torch.device("cpu")), 48, outputs.append)
    live.put(frame(0))
    wait_until(lambda: live.slot._frame is None, "the first frame taken")
    for i in range(1, 11):
        live.put(frame(i))
    held.set()
    wait_until(lambda: len(outputs) == 2, "two translations")
    live.close()
    assert [f.pts for f in outputs] == [0, 10] and live.slot.dropped == 9
    assert np.array_equal(outputs[1].output, 255 - outputs[1].rgb)  # the inversion, at the frame's size


def test_latest_gives_nothing_once_closed():
    slot = Latest()
    slot.close()
    assert slot.take() is None


def test_size_auto_picks_the_largest_that_keeps_up():
    """With a clock that says each translation takes (size / 1000)^2 seconds, keeping up with 10 frames/s
    allows up to about 316 px: the largest candidate under that is 256; at 100 frames/s none keeps up, and
    the smallest is taken."""
    now = [0.0]
    translator = FrameTranslator(Invert(), torch.device("cpu"))
    run = translator.run

    def timed(frames, crop=None):
        now[0] += (frames[0].shape[0] / 1000) ** 2
        return run(frames, crop)

    translator.run = timed
    size, seconds = choose_size(translator, np.zeros((480, 640, 3), np.uint8), 10.0, clock=lambda: now[0])
    assert size == 256 and seconds == pytest.approx(0.256**2)
    assert choose_size(translator, np.zeros((480, 640, 3), np.uint8), 1000.0, clock=lambda: now[0])[0] == 96


def test_flow_smoothing_is_refused_live():
    from vidgan.errors import VidganError
    from vidgan.ops.smoothing import SmoothingConfig

    with pytest.raises(VidganError, match="ema only"):
        LiveTranslator(FrameTranslator(Invert(), torch.device("cpu")), 48, print, SmoothingConfig("flow"))


def test_live_to_a_file_interrupted_by_ctrl_c_leaves_a_playable_file(tmp_path, tiny_model):
    """`vidgan live PIPE -o OUT` stopped by SIGINT: OUT plays, its frame times rise, and nothing but it is left.
    The source is a camera-like stream that never ends (y4m frames into a named pipe until the test is done),
    so the signal always comes while it runs, however slow the machine."""
    camera = tmp_path / "camera.y4m"
    os.mkfifo(camera)
    done = threading.Event()
    feeder = threading.Thread(target=feed_y4m, args=(camera, done), daemon=True)
    feeder.start()
    out = tmp_path / "out" / "live.mp4"
    out.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "vidgan", "live", str(camera), "-o", str(out), "-m",
                             str(tiny_model), "--size", "32"], stderr=subprocess.PIPE, text=True)  # fmt: skip
    wait_until(lambda: any(p.stat().st_size > 2000 for p in out.parent.iterdir()), "frames written",
               alive=lambda: proc.poll() is None)  # fmt: skip
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate()
    done.set()
    assert proc.returncode == 0, err
    assert "stopped (Ctrl-C)" in err and "Traceback" not in err
    assert [p.name for p in out.parent.iterdir()] == ["live.mp4"]
    frames, times = read_video(out)
    assert len(frames) > 3 and all(b > a for a, b in zip(times, times[1:]))


def feed_y4m(path, done: threading.Event, size: tuple[int, int] = (64, 48)) -> None:
    """A y4m stream of moving gradients into the named pipe `path` until `done` (or until the reader left)."""
    w, h = size
    ramp = np.add.outer(np.arange(h), np.arange(w)).astype(np.uint8)
    chroma = np.full(w * h // 2, 128, np.uint8).tobytes()
    with contextlib.suppress(BrokenPipeError), open(path, "wb") as pipe:
        pipe.write(f"YUV4MPEG2 W{w} H{h} F25:1 Ip A1:1 C420jpeg\n".encode())
        for k in itertools.count():
            if done.is_set():
                return
            pipe.write(b"FRAME\n" + (ramp * 3 + k % 256).tobytes() + chroma)
