"""pipelines/gpu-run.sh, the one command a lent GPU runs, run here on the CPU with a tiny recipe: a new
schedule's first run, then a run that continues it from what the first brought back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from clips import tinted, tiny_recipe
from waiting import HANG_GUARD

from vidgan.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = tiny_recipe(name="pix2neg", restart_d_steps=10, save_every=3.0)


def dataset(root: Path) -> Path:
    """The colour-inversion pair in the horse2zebra layout: trainA/trainB/testA/testB."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in (("trainA", 12), ("trainB", 12), ("testA", 4), ("testB", 4)):
        (root / split).mkdir(parents=True)
        for i in range(count):
            image = tinted(rng, 40)
            Image.fromarray(255 - image if split.endswith("B") else image).save(root / split / f"{i}.png")
    return root


def gpu_run(folder: Path, out: str, state: Path, data: Path) -> subprocess.CompletedProcess:
    (folder / out).mkdir()
    animals = folder / "animals.json"  # boxes round testA's "animals": the left half of each picture
    animals.write_text(json.dumps({"format": "vidgan animal boxes", "version": 1,
                                   "images": {str(i): [[0, 0, 0.5, 1]] for i in range(4)}}))  # fmt: skip
    env = {**os.environ, "OUT": str(folder / out), "WALL": "24", "RESERVE": "18", "DEVICE": "cpu",
           "RECIPE": str(folder / "tiny.toml"), "STATE": str(state), "DATA": str(data), "ANIMALS": str(animals),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # python3 is this one  # fmt: skip
    done = subprocess.run(["bash", str(ROOT / "pipelines" / "gpu-run.sh"), "train"], env=env, capture_output=True,
                          text=True, timeout=HANG_GUARD)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Path]:
    """A new schedule's first run; returns (its $OUT, the packed data)."""
    folder = tmp_path_factory.mktemp("gpu-run")
    (folder / "tiny.toml").write_text(TINY)
    packed = folder / "carried" / "data.zip"  # a folder not made yet: pack makes it
    result = CliRunner().invoke(main, ["pack", str(dataset(folder / "set")), "-o", str(packed)])
    assert result.exit_code == 0, result.output
    gpu_run(folder, "out1", folder / "no-state-yet", packed)
    return folder / "out1", packed


def test_a_first_run_brings_back_the_compact_state_and_both_evals(first_run):
    out, _ = first_run
    files = sorted(p.name for p in out.iterdir())
    assert files == ["discriminators.safetensors", "eval.json", "log.txt", "neg2pix.json", "neg2pix.safetensors",
                     "pix2neg.json", "pix2neg.safetensors", "progress.json"]  # fmt: skip
    progress = json.loads((out / "progress.json").read_text())
    report = json.loads((out / "eval.json").read_text())
    assert progress["images_seen"] > 0 and progress["schedule_images"] == 100000
    assert set(report) == {"pix2neg", "neg2pix"} and "cycle" in report["neg2pix"]
    assert report["pix2neg"]["outside"]["images"] == 4 and "outside" not in report["neg2pix"]  # testA's boxes


def test_the_next_run_continues_from_what_came_back(first_run):
    out, packed = first_run
    gpu_run(out.parent, "out2", out, packed)
    before = json.loads((out / "progress.json").read_text())
    after = json.loads((out.parent / "out2" / "progress.json").read_text())
    assert after["images_seen"] > before["images_seen"] and len(after["runs"]) == 2
