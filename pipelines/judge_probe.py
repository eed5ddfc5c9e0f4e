"""What the masked D_B makes of zebra2horse's choices (docs/quality.md, "D_B's background, faded"): on
the first 32 test images at the scale training sees them (resized to the recipe's load size, the centre
crop), D_B's mean output (LSGAN: 1 real, 0 fake) on

- the real side it trains on: real horses under horse2zebra's masks (`d_on_mask_b`), and of its patches
  those nearly blank (mask under 0.05 there) and those over the horse (mask over 0.3);
- the fake side as it is: zebra2horse's translations of real zebras under its own masks;
- a shut mask (a blank, mid-grey; with d_background_b, the zebras faded), and zebra2horse's content with
  its mask open everywhere.

D_B sees each as it does in training (objectives/masked.py's `selected`). A mask opens where what it reveals
scores above what it hides, so while the content scores under the shut mask, D_B holds zebra2horse's masks
shut. With D_C (content_adv_b), its scores for real horses, the content and
real zebras too. With OUT.jpg, a sheet of those crops (input, content, mask, composite: mask_content.py's).

    python pipelines/judge_probe.py STATE [OUT.jpg] [DATA]   (STATE: a compact state; DATA: horse2zebra)
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from mask_content import sheet

from vidgan.errors import VidganError
from vidgan.eval.judge import image_files, load_images
from vidgan.models.checkpoints import load_generator_file
from vidgan.models.nets import to_signed
from vidgan.ops.composite import composite
from vidgan.train.config import TrainConfig
from vidgan.train.objectives.masked import selected
from vidgan.train.parts import build_networks, discriminator_names
from vidgan.train.state import read_compact


def crops(folder: Path, load_size: int, crop_size: int) -> torch.Tensor:
    """Signed (32, 3, crop, crop): the first 32 images resized to load_size, their centre crops."""
    top = (load_size - crop_size) // 2
    images = to_signed(load_images(image_files(folder)[:32], load_size))
    return images[..., top : top + crop_size, top : top + crop_size]


@torch.no_grad()
def main(folder: Path, out: Path | None, data: Path) -> None:
    torch.set_num_threads(1)
    state = read_compact(folder)
    config = TrainConfig.from_dict(state["config"])
    if not config.mask:
        raise VidganError(f"{folder} is not a masked training state")
    nets = build_networks(config)  # the discriminators as the run built them, then its weights
    judges = {k: nets[k].eval() for k in discriminator_names(nets)}
    for name, net in judges.items():
        net.load_state_dict(state["nets"][name])
    g, f = (load_generator_file(folder / n).generator.eval() for n in state["generators"].values())
    a, b = (crops(data / split, config.load_size, config.crop_size) for split in ("testA", "testB"))
    m_a = composite(a, g(a))[1]  # (32, 1, h, w): horse2zebra's masks, which mark D_B's real side
    y = f(b)  # (32, 4, h, w): zebra2horse's content and mask on real zebras
    out_b, m_b = composite(b, y)
    d_b, k = judges["D_B"], config.judge_view("D_B")[1]
    real = d_b(selected(a, m_a, k))  # (32, 1, p, p): one output per patch
    m_patch = F.adaptive_avg_pool2d(m_a, real.shape[-2:])
    rows = {
        "real horses under horse2zebra's masks (D_B's real side)": real,
        "  of which patches nearly blank (mask < 0.05)": real[m_patch < 0.05],
        "  of which patches over the horse (mask > 0.3)": real[m_patch > 0.3],
        "zebra2horse on real zebras under its masks (the fake side now)": d_b(selected(out_b, m_b, k)),
        "a shut mask": d_b(selected(b, torch.zeros_like(m_b), k)),
        "zebra2horse's content, its mask open everywhere": d_b(y[:, :3]),
    }
    print(f"masks' mean: horse2zebra on testA {m_a.mean():.3f}, zebra2horse on testB {m_b.mean():.3f}; "
          f"D_B sees {k:g} of the background")  # fmt: skip
    for what, scores in rows.items():
        print(f"D_B  {scores.mean():.3f}  {what}")
    if "D_C" in judges:
        d_c = judges["D_C"]
        print(f"D_C  {d_c(a).mean():.3f} real horses, {d_c(y[:, :3]).mean():.3f} zebra2horse's content on real "
              f"zebras, {d_c(b).mean():.3f} real zebras")  # fmt: skip
    if out is not None:
        sheet(f, b[:8], shrink=1).save(out, quality=85)
        print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3, 4):
        sys.exit(__doc__)
    try:
        out = Path(sys.argv[2]) if len(sys.argv) >= 3 else None
        main(Path(sys.argv[1]), out, Path(sys.argv[3] if len(sys.argv) == 4 else "../shared/data/horse2zebra"))
    except VidganError as e:
        sys.exit(f"judge_probe: {e}")
