"""The fast path's guarantees, checked on the CPU (the same code runs on CUDA): reduced precision stays
close to fp32, out-of-memory shrinks the batch instead of failing, compiled models keep static shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from clips import Invert, make_clip, read_video
from torch import nn

from vidgan import TranslateOptions
from vidgan.api import translate
from vidgan.engine.translator import FrameTranslator


def test_bf16_matches_fp32_within_bounds(trained_inverter):
    """A trained generator: bf16 autocast against fp32 on the same frames, in uint8 levels. (Untrained,
    randomly initialised generators are chaotic and differ more: 1.1 levels on average.)"""
    from clips import pattern, textured

    model, held_out = trained_inverter
    frames = np.concatenate([held_out, np.stack([textured(64, 64, seed=1), pattern(3, 64, 64)])])
    cpu = torch.device("cpu")
    fp32 = FrameTranslator(model, cpu, "fp32")(frames).astype(np.int16)
    bf16 = FrameTranslator(model, cpu, "bf16")(frames).astype(np.int16)
    diff = np.abs(fp32 - bf16)
    assert diff.mean() <= 1.0 and diff.max() <= 16, (diff.mean(), diff.max())


class OutOfMemoryAbove(nn.Module):
    """Raises what CUDA raises when a batch is too large; inverts colours otherwise."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.calls: list[int] = []

    def forward(self, x):
        self.calls.append(x.shape[0])
        if x.shape[0] > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return -x


def test_out_of_memory_reduces_the_batch_and_finishes(tmp_path):
    src = make_clip(tmp_path / "in.mp4", 64, 48, frames=11)
    model = OutOfMemoryAbove(limit=2)
    result = translate(src, tmp_path / "out.mp4", model, TranslateOptions(batch_size=8, quiet=True, size=None))[0]
    assert result.frames == 11 and len(read_video(tmp_path / "out.mp4")[0]) == 11
    assert any("out of memory at batch 8" in n for n in result.notices)
    assert max(model.calls[model.calls.index(2) :]) <= 2  # once lowered, the batch stays small


def test_out_of_memory_for_one_frame_is_a_clear_error():
    from vidgan import VidganError

    translator = FrameTranslator(OutOfMemoryAbove(limit=0), torch.device("cpu"))
    with pytest.raises(VidganError, match="smaller --size"):
        translator(np.zeros((1, 8, 8, 3), np.uint8))


def test_compiled_model_sees_one_static_shape(tmp_path):
    """Short last batches are padded to the full batch, so a compiled model never recompiles."""
    shapes = []

    class Record(Invert):
        def forward(self, x):
            shapes.append(tuple(x.shape))
            return super().forward(x)

    translator = FrameTranslator(Record(), torch.device("cpu"), "fp32", compile=False, batch_size=4)
    translator.static_batch = 4  # what compile=True sets; compiling itself is exercised on the GPU
    out = translator(np.zeros((3, 8, 8, 3), np.uint8))
    assert out.shape == (3, 8, 8, 3) and shapes == [(4, 3, 8, 8)]


def test_padded_batch_that_runs_out_of_memory_returns_its_real_frames():
    """A short batch padded to a compiled model's static size, then out of memory: only its real frames are
    translated again and come back (3, not the 8 of the padded batch)."""
    model = OutOfMemoryAbove(limit=4)
    translator = FrameTranslator(model, torch.device("cpu"), "fp32", batch_size=8)
    translator.static_batch = 8  # what compile=True sets
    frames = np.stack([np.full((8, 8, 3), 10 * i, np.uint8) for i in range(3)])
    out = translator(frames)
    assert model.calls == [8, 3]
    assert out.shape == (3, 8, 8, 3) and np.array_equal(out, 255 - frames)
