"""A bake-off round's pictures (docs/quality.md): for each variant, a row of testA horses through its
horse2zebra, testB zebras through its zebra2horse, frames of Muybridge's horse (horse2zebra) and of the
zebra clip (through horse2zebra, where it should stay as it was, then zebra2horse), each input above its
translation, as vidgan translates them (working size 256, composited at the output size for a masked
model). One JPEG, a row per variant.

    python pipelines/bakeoff_frames.py OUT.jpg WORK [VARIANT ...]     (WORK: the round's folder, .bakeoff/ROUND)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from vidgan.engine.translator import FrameTranslator
from vidgan.eval.judge import image_files, load_images
from vidgan.models.registry import load_model
from vidgan.ops.upsampling import Upsampler
from vidgan.pipeline.clip import working_size
from vidgan.pipeline.composite import composite_at_output_size
from vidgan.video.decode import probe, read_frames

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TILE = 160


def translate(translator: FrameTranslator, image: np.ndarray) -> np.ndarray:
    """One RGB frame as `vidgan translate` makes it: at 256 px, back at the input's size."""
    h, w = image.shape[:2]
    work = working_size(w, h, 256)
    source = np.asarray(Image.fromarray(image).resize(work, Image.Resampling.BICUBIC))
    raw = translator.run(source[None])[0].cpu().numpy()
    if raw.shape[-1] == 4:
        return composite_at_output_size(Upsampler("detail"), source, raw, image)[0]
    return np.asarray(Image.fromarray(raw).resize((w, h), Image.Resampling.BICUBIC))


def clip_frames(name: str, count: int) -> list[np.ndarray]:
    info = probe(DATA / "videos" / name)
    frames = [f.rgb for f in read_frames(info, (info.width, info.height))]
    return [frames[int(i)] for i in np.linspace(0, len(frames) - 1, count)]


def tile(image: np.ndarray) -> Image.Image:
    im = Image.fromarray(image)
    return im.resize((TILE, round(TILE * im.height / im.width)))


def row(state: Path) -> list[Image.Image]:
    cpu = torch.device("cpu")
    h2z = FrameTranslator(load_model(str(state / "horse2zebra-fast.safetensors")).generator, cpu)
    z2h = FrameTranslator(load_model(str(state / "zebra2horse-fast.safetensors")).generator, cpu)
    horses = [im.permute(1, 2, 0).numpy() for im in load_images(image_files(DATA / "horse2zebra" / "testA")[:3], 256)]
    zebras = [im.permute(1, 2, 0).numpy() for im in load_images(image_files(DATA / "horse2zebra" / "testB")[:3], 256)]
    pairs = [(x, translate(h2z, x)) for x in horses] + [(x, translate(z2h, x)) for x in zebras]
    pairs += [(x, translate(h2z, x)) for x in clip_frames("muybridge_horse_in_motion_326x250.mp4", 2)]
    zebra_clip = clip_frames("zebra_640x360_aac.mp4", 2)
    pairs += [(x, translate(h2z, x)) for x in zebra_clip] + [(x, translate(z2h, x)) for x in zebra_clip]
    return [tile(np.vstack([a, b])) for a, b in pairs]


def main(out: Path, work: Path, variants: list[str]) -> None:
    rows = [(v, row(work / v / "compact")) for v in variants]
    width = sum(t.width for t in rows[0][1])
    height = max(t.height for t in rows[0][1]) + 18
    sheet = Image.new("RGB", (width, height * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (name, tiles) in enumerate(rows):
        draw.text((4, r * height + 2), name, fill="black")
        x = 0
        for t in tiles:
            sheet.paste(t, (x, r * height + 18))
            x += t.width
    sheet.save(out, quality=88)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
