"""The video pipeline end to end, with a model of known output (colour inversion) on synthetic clips."""

from __future__ import annotations

import numpy as np
import pytest
from clips import Invert, audio_packets, make_clip, pattern, read_video, stream_info

import vidgan
from vidgan import EncodeSettings, TranslateOptions
from vidgan.api import translate

LOSSLESS = EncodeSettings(crf=0)


def run(src, dst, **kw):
    kw.setdefault("quiet", True)
    return translate(src, dst, Invert(), TranslateOptions(**kw))[0]


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("size", [(96, 64), (327, 251)])
def test_native_size_output_is_exact_inverse_frame_by_frame(tmp_path, size):
    w, h = size
    odd = w % 2 == 1  # libx264 cannot store odd sizes in 4:2:0; FFV1 can
    src = make_clip(tmp_path / ("in.mkv" if odd else "in.mp4"), w, h, frames=8, codec="ffv1" if odd else "libx264")
    result = run(src, tmp_path / "out.mp4", size=None, encode=LOSSLESS)
    assert result.frames == 8
    ins, tin = read_video(src)
    outs, tout = read_video(tmp_path / "out.mp4")
    assert tout == tin
    assert outs[0].shape == (h + h % 2, w + w % 2, 3)  # rounded up to even for yuv420p
    for a, b in zip(ins, outs):
        # A swapped channel, a shifted crop, an off-by-one frame or a range slip each move this far above 3.
        assert mean_abs(255 - a, b[:h, :w]) < 3.0


def test_plumbing_errors_would_be_caught(tmp_path):
    """The tolerance above separates right from wrong: each classic mistake is far outside it."""
    src = make_clip(tmp_path / "in.mp4", 96, 64, frames=4)
    ins, _ = read_video(src)
    right = 255 - ins[1]
    assert mean_abs(right, 255 - ins[2]) > 6  # off by one frame
    assert mean_abs(right, right[..., ::-1]) > 6  # RGB <-> BGR
    assert mean_abs(right, np.roll(right, 2, axis=1)) > 6  # crop shifted by two pixels
    limited = (16 + right.astype(np.float32) * 219 / 255).round().astype(np.uint8)
    assert mean_abs(right, limited) > 6  # full/limited range confused


def test_working_size_scales_back_to_input(tmp_path):
    src = make_clip(tmp_path / "in.mkv", 327, 251, frames=4, codec="ffv1")
    run(src, tmp_path / "out.mp4", size=128, encode=LOSSLESS)
    ins, _ = read_video(src)
    outs, _ = read_video(tmp_path / "out.mp4")
    assert outs[0].shape == (252, 328, 3)
    # Down to 128 and back blurs the stripes' edges; the colours still invert.
    assert mean_abs(255 - ins[2], outs[2][:251, :327]) < 12


def test_output_size_working(tmp_path):
    src = make_clip(tmp_path / "in.mp4", 200, 100, frames=3)
    run(src, tmp_path / "out.mp4", size=64, output_size="working")
    assert stream_info(tmp_path / "out.mp4")[("width")] == 128


def test_full_range_input_keeps_its_range(tmp_path):
    src = make_clip(tmp_path / "in.mp4", 96, 64, frames=4, pix_fmt="yuvj420p", full_range=True)
    run(src, tmp_path / "out.mp4", size=None, encode=LOSSLESS)
    assert stream_info(tmp_path / "out.mp4")["color_range"] == 2
    ins, _ = read_video(src)
    outs, _ = read_video(tmp_path / "out.mp4")
    assert mean_abs(255 - ins[1], outs[1]) < 3.0


def test_variable_frame_rate_keeps_every_timestamp(tmp_path):
    times = [0.0, 0.04, 0.1, 0.13, 0.3, 0.31, 0.5, 0.9]
    src = make_clip(tmp_path / "in.mp4", 64, 48, times=times)
    out = tmp_path / "out.mp4"
    run(src, out)
    _, tout = read_video(out)
    assert len(tout) == len(times)
    assert np.allclose(tout, times, atol=0.5 / 1000)


@pytest.mark.parametrize(
    "audio, ext, copied",
    [("aac", ".mp4", True), ("mp3", ".mp4", True), ("opus", ".webm", True), ("vorbis", ".mkv", True),
     ("aac", ".mkv", True), ("vorbis", ".mp4", False), ("aac", ".webm", False)],
)  # fmt: skip
def test_audio_copied_byte_identical_or_transcoded(tmp_path, audio, ext, copied):
    src_ext = ".mkv" if audio in ("vorbis", "opus") else ".mp4"
    src = make_clip(tmp_path / f"in{src_ext}", 64, 48, frames=12, audio=audio)
    out = tmp_path / f"out{ext}"
    result = run(src, out)
    info = stream_info(out)
    assert info["streams"] == ["video", "audio"]
    if copied:
        before, after = audio_packets(src), audio_packets(out)
        assert [p for _, p in after] == [p for _, p in before]  # byte for byte
        # Matroska cannot store AAC priming's negative times and shifts every stream alike.
        assert np.allclose(np.diff([t for t, _ in after]), np.diff([t for t, _ in before]), atol=1e-3)
        assert not result.notices
    else:
        assert info["audio_codec"] == ("aac" if ext == ".mp4" else "opus")
        assert any("re-encoded" in n for n in result.notices)
        duration = audio_packets(out)[-1][0]
        assert abs(duration - audio_packets(src)[-1][0]) < 0.1


def test_audio_video_offset_kept(tmp_path):
    src = make_clip(tmp_path / "in.mkv", 64, 48, frames=12, audio="aac", audio_start=0.25)
    out = tmp_path / "out.mkv"
    run(src, out)
    _, tin = read_video(src)
    _, tout = read_video(out)
    offset_in = audio_packets(src)[0][0] - tin[0]
    offset_out = audio_packets(out)[0][0] - tout[0]
    assert abs(offset_in - 0.25) < 0.03
    assert abs(offset_out - offset_in) < 0.010


@pytest.mark.parametrize("ext, codec", [(".mp4", "h264"), (".mkv", "hevc"), (".webm", "vp9"), (".mov", "h264"),
                                        (".mkv", "av1")])  # fmt: skip
def test_containers_and_codecs(tmp_path, ext, codec):
    src = make_clip(tmp_path / "in.mp4", 64, 48, frames=4)
    out = tmp_path / f"out{ext}"
    result = run(src, out, encode=EncodeSettings(codec=codec, preset="8" if codec in ("av1", "vp9") else None))
    info = stream_info(out)
    assert info["video_codec"] == codec and result.frames == 4
    assert len(read_video(out)[0]) == 4


def test_codec_the_container_cannot_hold_fails_before_work(tmp_path):
    src = make_clip(tmp_path / "in.mp4", 64, 48, frames=2)
    with pytest.raises(vidgan.VidganError, match="webm"):
        run(src, tmp_path / "out.webm", encode=EncodeSettings(codec="h264"))
    assert list(tmp_path.iterdir()) == [src]


def test_rotation_metadata_is_applied(tmp_path):
    src = make_clip(tmp_path / "in.mp4", 96, 64, frames=3, rotation=90)
    out = tmp_path / "out.mp4"
    run(src, out, size=None, encode=LOSSLESS)
    outs, _ = read_video(out)
    assert outs[0].shape == (96, 64, 3)  # upright: the display was portrait
    upright = np.rot90(pattern(0, 96, 64), k=1)  # a 90-degree display matrix turns counter-clockwise
    assert mean_abs(255 - upright, outs[0]) < 6


def test_ten_bit_input_works_with_a_notice(tmp_path):
    src = make_clip(tmp_path / "in.mkv", 64, 48, frames=3, codec="ffv1", pix_fmt="yuv420p10le")
    result = run(src, tmp_path / "out.mkv", size=None, encode=LOSSLESS)
    assert result.frames == 3 and any("10-bit" in n for n in result.notices)
    ins, _ = read_video(src)
    outs, _ = read_video(tmp_path / "out.mkv")
    assert mean_abs(255 - ins[0], outs[0]) < 3.0


def test_start_and_duration(tmp_path):
    src = make_clip(tmp_path / "in.mp4", 64, 48, frames=24, rate=12, audio="aac")
    out = tmp_path / "out.mp4"
    result = run(src, out, start=0.5, duration=1.0, size=None, encode=LOSSLESS)
    assert result.frames == 12
    outs, tout = read_video(out)
    assert tout[0] == pytest.approx(0.0) and tout[-1] == pytest.approx(11 / 12, abs=1e-3)
    assert mean_abs(255 - pattern(6, 64, 48), outs[0]) < 6  # frame 6 is at 0.5 s
    packets = audio_packets(out)
    assert 0 <= packets[0][0] < 0.03 and packets[-1][0] < 1.0


def test_compare_puts_input_and_output_side_by_side(tmp_path):
    src = make_clip(tmp_path / "in.mp4", 64, 48, frames=2)
    run(src, tmp_path / "out.mp4", compare=True, size=None, encode=LOSSLESS)
    outs, _ = read_video(tmp_path / "out.mp4")
    ins, _ = read_video(src)
    assert outs[0].shape == (48, 128, 3)
    assert mean_abs(ins[0], outs[0][:, :64]) < 3 and mean_abs(255 - ins[0], outs[0][:, 64:]) < 3


def test_long_clip_streams_in_batches(tmp_path):
    src = make_clip(tmp_path / "in.mp4", 32, 32, frames=150, rate=30)
    result = run(src, tmp_path / "out.mp4", batch_size=3)
    assert result.frames == 150
    assert len(read_video(tmp_path / "out.mp4")[1]) == 150


def test_subtitle_stream_is_dropped_with_notice(tmp_path):
    import av

    src = tmp_path / "in.mkv"
    with av.open(str(src), "w") as c:
        v = c.add_stream("libx264", rate=10)
        v.width, v.height, v.pix_fmt = 32, 32, "yuv420p"
        c.add_stream("ass")
        for i in range(3):
            f = av.VideoFrame.from_ndarray(pattern(i, 32, 32), format="rgb24")
            f.pts = i
            c.mux(v.encode(f))
        c.mux(v.encode())
    result = run(src, tmp_path / "out.mkv")
    assert any("subtitle" in n and "dropped" in n for n in result.notices)
    assert stream_info(tmp_path / "out.mkv")["streams"] == ["video"]


def test_yuv444_and_hdr_inputs_work_with_notices(tmp_path):
    src = make_clip(tmp_path / "in444.mp4", 64, 48, frames=3, pix_fmt="yuv444p")
    result = run(src, tmp_path / "out444.mp4", size=None, encode=LOSSLESS)
    assert result.frames == 3 and any("yuv444p" in n for n in result.notices)
    assert mean_abs(255 - read_video(src)[0][0], read_video(tmp_path / "out444.mp4")[0][0]) < 3.0

    import av

    hdr = tmp_path / "hdr.mkv"
    with av.open(str(hdr), "w") as c:
        s = c.add_stream("libx265", rate=10, options={"x265-params": "log-level=error"})
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p10le"
        s.codec_context.color_trc, s.codec_context.color_primaries, s.codec_context.colorspace = 16, 9, 9
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(pattern(i, 64, 48), format="rgb24").reformat(format="yuv420p10le")
            frame.pts = i
            c.mux(s.encode(frame))
        c.mux(s.encode())
    result = run(hdr, tmp_path / "hdr_out.mkv")
    assert result.frames == 3
    assert any("HDR" in n for n in result.notices) and any("10-bit" in n for n in result.notices)
