"""Bad input: one clear line, a non-zero exit, and nothing left behind in the output folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import av
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from clips import Invert, make_clip, write_tone
from torch import nn
from waiting import wait_until

from vidgan import TranslateOptions, VidganError
from vidgan.api import translate
from vidgan.cli import main


def cli(*args: str):
    result = CliRunner().invoke(main, ["translate", *map(str, args), "--quiet"])
    return result


def assert_clean_error(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and text in lines[0], result.output
    assert "Traceback" not in result.output


def only_files(folder) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def clip(tmp_path):
    return make_clip(tmp_path / "clip.mp4", 64, 48, frames=6)


def test_missing_file(tmp_path, tiny_model):
    assert_clean_error(cli(tmp_path / "nope.mp4", "-m", tiny_model), "not found")


def test_not_a_video(tmp_path, tiny_model):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n" * 50)
    assert_clean_error(cli(bad, "-m", tiny_model, "-o", tmp_path / "out.mp4"), "not a video")
    assert only_files(tmp_path) == {"notes.mp4", "tiny.safetensors", "tiny.json"}


def test_truncated_video(tmp_path, tiny_model, clip):
    """An MP4 whose index comes last, cut: nothing can be read, and the message says it was cut short."""
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    result = cli(cut, "-m", tiny_model, "-o", tmp_path / "out.mp4")
    assert_clean_error(result, "cut.mp4: it is cut short")
    assert "bytes missing at the end, where its index would be" in result.output
    assert not (tmp_path / "out.mp4").exists()


def test_a_truncated_file_counts_the_frames_that_are_there(tmp_path):
    """The estimate of --keep-partial comes from what is in the file, not from the index's count."""
    from vidgan.pipeline.clip import expected_frames
    from vidgan.video.decode import Span, probe, read_frames

    src = make_clip(tmp_path / "clip.mp4", 64, 48, frames=60, faststart=True)
    data = src.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    info = probe(cut)
    decodable = 0
    try:
        for _ in read_frames(info, (64, 48)):
            decodable += 1
    except VidganError:
        pass
    assert info.frames == 60 and info.present_frames is not None
    assert abs(info.present_frames - decodable) <= 2 and expected_frames(info, Span.of(info, None, None)) < 30
    assert probe(src).present_frames is None  # a whole file is not demuxed twice


def test_truncated_video_with_index_in_front(tmp_path, tiny_model):
    """A 'faststart' file keeps its index when cut: the missing frames must still be noticed."""
    src = make_clip(tmp_path / "clip.mp4", 64, 48, frames=30, faststart=True)
    data = src.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    assert_clean_error(cli(cut, "-m", tiny_model, "-o", tmp_path / "out.mp4"), "cut.mp4 is truncated")
    assert not (tmp_path / "out.mp4").exists()


def test_corrupt_video(tmp_path, tiny_model, clip):
    data = bytearray(clip.read_bytes())
    rng = np.random.default_rng(0)
    data[:64] = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()  # the header is gone
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    assert_clean_error(cli(bad, "-m", tiny_model, "-o", tmp_path / "out.mp4"), "bad.mp4")


def test_audio_only_file(tmp_path, tiny_model):
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("aac", rate=48000)
        s.layout = "stereo"
        write_tone(c, s, 48000, 0.2)
    assert_clean_error(cli(path, "-m", tiny_model, "-o", tmp_path / "out.mp4"), "no video stream")


def test_video_with_zero_frames(tmp_path, tiny_model):
    """A video track with no frames (beside audio, so the file itself is valid)."""
    path = tmp_path / "empty.mkv"
    with av.open(str(path), "w") as c:
        s = c.add_stream("ffv1", rate=10)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        a = c.add_stream("aac", rate=48000)
        a.layout = "stereo"
        write_tone(c, a, 48000, 0.2)
    assert_clean_error(cli(path, "-m", tiny_model, "-o", tmp_path / "out.mp4"), "no frames")
    assert not (tmp_path / "out.mp4").exists()


def test_unknown_model(clip):
    assert_clean_error(cli(clip, "-m", "no_such_model"), "unknown model")


def test_unshipped_direction_says_how_to_get_it(clip):
    result = cli(clip, "-m", "zebra2horse")
    assert_clean_error(result, "not shipped")
    assert "pipelines/horse2zebra.toml" in result.output and "official:zebra2horse" in result.output


def test_corrupt_checkpoint(tmp_path, clip):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00\x01garbage" * 100)
    assert_clean_error(cli(clip, "-m", bad), "corrupt")


def test_mismatched_checkpoint(tmp_path, clip):
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"model.1.weight": torch.zeros(8, 3, 7, 7), "model.10.conv_block.1.weight": torch.zeros(2, 2, 3, 3),
               "model.26.weight": torch.zeros(3, 8, 7, 7)}, str(path))  # fmt: skip
    assert_clean_error(cli(clip, "-m", path), "do not match")


def test_pth_with_pickled_code_is_refused(tmp_path, clip):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"model.1.weight": Evil()}, path)
    assert_clean_error(cli(clip, "-m", path), "pickled code")
    assert not marker.exists()


def test_output_in_missing_folder(tmp_path, tiny_model, clip):
    assert_clean_error(cli(clip, "-m", tiny_model, "-o", tmp_path / "nope" / "out.mp4"), "does not exist")


def test_output_equal_to_input(tiny_model, clip):
    assert_clean_error(cli(clip, "-m", tiny_model, "-o", clip), "is the input")


def test_existing_output_needs_overwrite(tmp_path, tiny_model, clip):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    assert_clean_error(cli(clip, "-m", tiny_model, "-o", out), "--overwrite")
    assert out.read_bytes() == b"keep me"
    result = cli(clip, "-m", tiny_model, "-o", out, "--overwrite")
    assert result.exit_code == 0 and out.stat().st_size > 1000


def test_usage_error_exits_2(clip):
    result = CliRunner().invoke(main, ["translate", str(clip), "--size", "big"])
    assert result.exit_code == 2 and "--size" in result.output


class InterruptAfter(nn.Module):
    """Raises KeyboardInterrupt (what Ctrl-C raises) on its n-th call."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def forward(self, x):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt
        return -x


def test_interrupt_mid_file_leaves_nothing(tmp_path):
    src = make_clip(tmp_path / "clip.mp4", 64, 48, frames=40, audio="aac")
    with pytest.raises(KeyboardInterrupt):
        translate(src, tmp_path / "out.mp4", InterruptAfter(3), TranslateOptions(batch_size=2, quiet=True))
    assert only_files(tmp_path) == {"clip.mp4"}


def test_ctrl_c_on_the_command_line(tmp_path, tiny_model):
    """A real SIGINT to a real `vidgan translate`: exit 130, a one-line message, no output file."""
    src = make_clip(tmp_path / "clip.mp4", 256, 256, frames=800, rate=25)  # long enough to be mid-file
    out = tmp_path / "out.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vidgan.cli", "translate", str(src), "-m", str(tiny_model), "-o", str(out),
         "--batch-size", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_until(lambda: any(p.name.endswith(".tmp.mp4") for p in tmp_path.iterdir()), "the output being written",
               alive=lambda: proc.poll() is None)  # fmt: skip
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert only_files(tmp_path) == {"clip.mp4", "tiny.safetensors", "tiny.json"}


def test_python_api_raises_vidgan_error(tmp_path):
    with pytest.raises(VidganError, match="not found"):
        translate(tmp_path / "nope.mp4", None, Invert())


class Counting(Invert):
    """Inverts, and counts the frames it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0

    def forward(self, x):
        self.frames += x.shape[0]
        return super().forward(x)


def cut_clip(tmp_path, frames: int = 30, keep: float = 2 / 3):
    """A clip with its index in front (as downloads usually are) and sound, cut short like a broken download."""
    src = make_clip(tmp_path / "whole.mp4", 64, 48, frames=frames, audio="aac", faststart=True)
    data = src.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * keep)])
    src.unlink()
    return cut


def test_a_cut_file_is_found_before_any_work(tmp_path):
    """The container says how long it should be: a cut file is refused before the generator sees a frame
    (the shipped sample cut in half once ran 1.5 minutes first)."""
    cut = cut_clip(tmp_path)
    model = Counting()
    with pytest.raises(VidganError, match=r"cut.mp4 is truncated.*--keep-partial"):
        translate(cut, tmp_path / "out.mp4", model, TranslateOptions(quiet=True))
    assert model.frames == 0 and only_files(tmp_path) == {"cut.mp4"}


def test_the_shipped_sample_cut_in_half_is_refused_at_once(tmp_path, tiny_model):
    from pathlib import Path

    data = (Path(__file__).resolve().parents[1] / "samples" / "horse.mp4").read_bytes()
    cut = tmp_path / "horse_half.mp4"
    cut.write_bytes(data[: len(data) // 2])
    assert_clean_error(cli(cut, "-m", tiny_model, "-o", tmp_path / "out.mp4"), "horse_half.mp4 is truncated")
    assert not (tmp_path / "out.mp4").exists()


def test_keep_partial_keeps_the_frames_before_the_break_with_their_sound(tmp_path, tiny_model):
    from clips import audio_packets, read_video

    cut = cut_clip(tmp_path)
    out = tmp_path / "out.mp4"
    result = cli(cut, "-m", tiny_model, "-o", out, "--keep-partial")
    assert result.exit_code == 1 and "partial output" in result.output and "Traceback" not in result.output
    frames, times = read_video(out)
    assert 5 < len(frames) < 30
    kept, there = audio_packets(out), audio_packets(cut)
    assert kept == there[: len(kept)]  # copied packet for packet, from the start
    end = times[-1] + 1 / 12  # where the last frame ends (12 frames/s)
    assert kept[-1][0] < end and (len(kept) == len(there) or there[len(kept)][0] >= end - 1e-6)


def test_a_break_found_only_by_decoding_says_so_too(tmp_path, tiny_model, monkeypatch):
    """Where the container cannot tell (the check is blinded here), the break is found when decoding reaches
    it: an error that offers --keep-partial, and nothing left behind."""
    import vidgan.video.decode

    monkeypatch.setattr(vidgan.video.decode, "missing_bytes", lambda path: 0)
    cut = cut_clip(tmp_path)
    assert_clean_error(cli(cut, "-m", tiny_model, "-o", tmp_path / "out.mp4"), "--keep-partial")
    assert only_files(tmp_path) == {"cut.mp4", "tiny.safetensors", "tiny.json"}
