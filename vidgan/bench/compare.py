"""`vidgan bench --models` (models against each other: the generator alone and `vidgan translate` end to end,
on a real clip, each backend) and `--against` (this checkout's video plumbing against another's), each with
its baseline measured in the same run."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vidgan.bench.translate import generator_alone
from vidgan.engine.translator import default_batch_size
from vidgan.models.registry import load_model
from vidgan.pipeline.clip import translate_clip, working_size
from vidgan.pipeline.options import TranslateOptions
from vidgan.video.decode import probe

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)


@dataclass
class AgainstRow:
    clip: str
    ours: float  # frames/s of this vidgan's `translate`, best of the repeats
    theirs: float  # the same for the other source tree


_IDENTITY_RUN = """
import sys
from torch import nn
from vidgan import TranslateOptions
from vidgan.api import translate

class Identity(nn.Module):
    def forward(self, x):
        return x

print(translate(sys.argv[1], sys.argv[2], Identity(), TranslateOptions(quiet=True, overwrite=True))[0].fps)
"""


def plumbing_against(other: Path, clips: list[Path], repeats: int = 3) -> list[AgainstRow]:
    """The video plumbing of this vidgan against another source tree's (e.g. a worktree of the previous
    release): each translates the clip with an identity model through its own Python API (the same call in
    both) in a process of its own; runs alternate, best of `repeats`."""
    ours = Path(__file__).resolve().parents[2]  # this source tree
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            best = {ours: 0.0, other: 0.0}
            for _ in range(repeats):
                for tree in (other, ours):
                    command = [sys.executable, "-c", _IDENTITY_RUN, str(clip), str(Path(tmp) / "out.mp4")]
                    env = {**os.environ, "PYTHONPATH": str(tree)}  # run from tmp: the current folder comes first
                    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp)
                    if done.returncode:
                        raise RuntimeError(f"{tree}: {done.stderr.strip()}")
                    best[tree] = max(best[tree], float(done.stdout.split()[-1]))
            rows.append(AgainstRow(clip.name, best[ours], best[other]))
            say(f"{clip.name}: {best[ours]:.1f} frames/s here, {best[other]:.1f} in {other}")
    return rows


def against_table(rows: list[AgainstRow], other: Path) -> str:
    lines = [f"Video plumbing (a clip translated with an identity model at the default working size and "
             f"encoder), this tree against {other}; frames/s, best of the repeats.", "",
             "| clip | here | there | speed-up |", "|---|---|---|---|"]  # fmt: skip
    lines += [f"| {r.clip} | {r.ours:.1f} | {r.theirs:.1f} | {r.ours / r.theirs:.2f}x |" for r in rows]
    return "\n".join(lines)


@dataclass
class ModelRow:
    model: str
    backend: str
    precision: str
    gmacs: float  # multiply-adds per frame at the working size, in billions
    generator: float  # frames/s of the generator alone at the clip's working size
    end_to_end: float  # frames/s of `vidgan translate` on the clip, default options


def run_model_benchmark(models: list[str], clip: Path, frames: int, backends: list[str], device_name: str = "auto",
                        rounds: int = 3, precision: str = "auto") -> list[ModelRow]:  # fmt: skip
    """Each model (with each backend) on one real clip: the generator alone at the clip's working size, and
    `vidgan translate` of the clip's first `frames` frames with the default options. Every setting is timed
    once per round, the rounds interleaved, and the best of each kept (a shared machine drifts, by 30% and
    more within minutes on the development machine)."""
    from vidgan.engine.translator import make_translator
    from vidgan.models.nets import count_macs

    info = probe(clip)
    work = working_size(info.width, info.height, 256)
    duration = frames / float(info.rate) if info.rate else None
    settings = []
    for spec in models:
        loaded = load_model(spec)
        gmacs = count_macs(loaded.generator, work[1] + -work[1] % 4, work[0] + -work[0] % 4) / 1e9
        for backend in backends:
            options = TranslateOptions(backend=backend, device=device_name, quiet=True, overwrite=True,
                                       duration=duration, precision=precision)  # fmt: skip
            settings.append((spec, backend, gmacs, options, make_translator(loaded.generator, options)))
    best: dict[int, ModelRow] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            for i, (spec, backend, gmacs, options, translator) in enumerate(settings):
                batch = default_batch_size(translator.device)
                alone = generator_alone(translator, work, batch, 8)
                e2e = translate_clip(clip, Path(tmp) / "out.mp4", translator, options)
                row = ModelRow(spec, backend, translator.precision, gmacs, alone, e2e.fps)
                if i not in best:
                    best[i] = row
                best[i].generator = max(best[i].generator, row.generator)
                best[i].end_to_end = max(best[i].end_to_end, row.end_to_end)
                say(f"round {round_ + 1}: {spec} ({backend}, {translator.precision}): generator {alone:.2f}, "
                    f"translate {e2e.fps:.2f} frames/s ({e2e.frames} frames)")  # fmt: skip
    return [best[i] for i in range(len(settings))]


def model_table(rows: list[ModelRow], clip: Path, device: str) -> str:
    base = rows[0]
    lines = [f"Device: {device}. {clip.name} at the default working size (short side 256), the default options; "
             f"frames/s (best of interleaved rounds), higher is better; speed-ups against {base.model} "
             f"({base.backend}) measured in this run.", "",
             "| model | backend | precision | GMACs/frame | generator alone | speed-up | vidgan translate | speed-up |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(
            f"| {r.model} | {r.backend} | {r.precision} | {r.gmacs:.1f} | {r.generator:.2f} "
            f"| {r.generator / base.generator:.1f}x | {r.end_to_end:.2f} | {r.end_to_end / base.end_to_end:.1f}x |"
        )
    return "\n".join(lines)
