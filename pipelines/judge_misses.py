"""Which test images a translation fails on, by the colour-blind judge (docs/quality.md, "What the judge's
misses are"): the model translates its source domain's test folder at 256 px as `vidgan eval` does; the
images the judge does not call the target domain are listed, least convincing first, with the share of
each the model changed (its mask's open share, or for an unmasked model where the blurred Lab distance
exceeds quality.CHANGED_LAB), and drawn as a sheet of input rows above output rows, eight to a row.

A figure alone cannot say why an image failed; the sheet can: a horse left alone, stripes spilt on the
scene, an animal too small to carry stripes at 256 px. Count them by eye and say so beside the score.

    python pipelines/judge_misses.py MODEL OUT.jpg [DATA]
    (MODEL: a --model spec or a .safetensors file; DATA: the horse2zebra folder, by default ../shared's)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from vidgan.engine.translator import FrameTranslator
from vidgan.errors import VidganError
from vidgan.eval.judge import image_files, load_images, load_judge
from vidgan.eval.quality import EVAL_SIZE, changed_regions, contact_sheet, translate_images
from vidgan.models.registry import load_model

BLIND_JUDGE = "horse-vs-zebra-grey"  # cpu-run.sh eval's colour-blind judge
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "horse2zebra"
PER_ROW = 8


def misses(model: str, data: Path, out: Path) -> tuple[list[tuple[str, float, float]], int]:
    """(file name, judge logit towards the target, changed share) of each miss, least convincing first, and
    how many images were judged; the sheet written to `out`."""
    loaded = load_model(model)
    towards_b = loaded.card.get("direction", "A->B") != "B->A"
    files = image_files(data / ("testA" if towards_b else "testB"))
    real = load_images(files, EVAL_SIZE)  # uint8 (N, 3, 256, 256)
    translator = FrameTranslator(loaded.generator, torch.device("cpu"), "fp32")
    fake = translate_images(translator, real, desc=f"translating with {model}")
    logits = load_judge(BLIND_JUDGE).logits(fake).flatten()  # > 0: zebra
    towards = logits if towards_b else -logits
    order = [int(i) for i in torch.argsort(towards) if towards[i] <= 0]
    changed = changed_regions(translator, real[order], fake[order]) if order else []
    rows = []
    for start in range(0, len(order), PER_ROW):
        chunk = order[start : start + PER_ROW]
        rows += [real[chunk], fake[chunk]]
    if rows:
        contact_sheet(rows, out, columns=PER_ROW)
    return [(files[i].name, float(towards[i]), float(np.mean(r))) for i, r in zip(order, changed)], len(files)


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[-2].strip())
    model, out = sys.argv[1], Path(sys.argv[2])
    data = Path(sys.argv[3]) if len(sys.argv) == 4 else DATA
    try:
        found, judged = misses(model, data, out)
    except VidganError as e:
        sys.exit(f"judge_misses: {e}")
    print(
        f"{len(found)} of {judged} not judged the target domain (score {1 - len(found) / judged:.3f}); least "
        "convincing first (name, judge logit towards the target, share changed):"
    )
    for name, logit, share in found:
        print(f"  {name}  {logit:+.2f}  {share:.0%}")
    if found:
        print(f"sheet: {out}")


if __name__ == "__main__":
    main()
