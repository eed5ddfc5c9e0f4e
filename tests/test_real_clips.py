"""The real clips of ../shared/data/videos through the pipeline with the known-output model (inversion)."""

from __future__ import annotations

import pytest
from clips import Invert, audio_packets, read_video, stream_info

from vidgan import TranslateOptions
from vidgan.api import translate

CLIPS = {
    # name: (output extension, audio copied?, extra options)
    "muybridge_horse_in_motion_326x250.mp4": (".mp4", None, {}),
    "zebra_640x360_aac.mp4": (".mp4", True, {"duration": 4.0}),
    "chaplin_640x360_mp3audio.mp4": (".mp4", True, {}),
    "fire2_dog_1280x720_aac.mp4": (".mkv", True, {}),
    "big_buck_bunny_432_433_vp8_vorbis.webm": (".mp4", False, {}),
    "big_buck_bunny_0_30_vp8_vorbis.webm": (".webm", True, {"start": 10.0, "duration": 2.0}),
}


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_real_clip(tmp_path, shared_data, name):
    ext, copied, extra = CLIPS[name]
    src = shared_data / "videos" / name
    out = tmp_path / f"out{ext}"
    result = translate(src, out, Invert(), TranslateOptions(quiet=True, size=128, **extra))[0]
    _, tin = read_video(src)
    _, tout = read_video(out)
    info_in, info_out = stream_info(src), stream_info(out)
    assert (info_out["width"], info_out["height"]) == (info_in["width"], info_in["height"])
    if not extra:
        assert len(tout) == len(tin) == result.frames
        tb_half = 0.0005 if ext in (".mkv", ".webm") else 1e-4
        assert max(abs(a - b) for a, b in zip(tin, tout)) <= tb_half + 1e-9
    else:
        rate = len(tin) / (tin[-1] - tin[0] + (tin[1] - tin[0]))
        assert abs(len(tout) - extra["duration"] * rate) <= 1
    if copied is None:
        assert info_out["audio_codec"] is None
        return
    a_in, a_out = audio_packets(src), audio_packets(out)
    if copied:
        assert info_out["audio_codec"] == info_in["audio_codec"]
        if not extra:
            assert [p for _, p in a_out] == [p for _, p in a_in]
            # the A/V start offset of the input, within 10 ms
            assert abs((a_out[0][0] - tout[0]) - (a_in[0][0] - tin[0])) < 0.010
    else:
        assert info_out["audio_codec"] == "aac" and any("re-encoded" in n for n in result.notices)
        assert abs(a_out[-1][0] - a_in[-1][0]) < 0.1
