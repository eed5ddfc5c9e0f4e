"""`vidgan bench-ray`: how translation on Ray scales, and what it costs on top of the work, in one run.

- the clips translated by one process (torch on all the machine's CPUs: the baseline), then as Ray tasks
  on a local instance with 1 and with 2 workers (one CPU, one torch thread each): wall time from the call
  (Ray's start included), frames/s, and the scaling ratio;
- the per-run and per-task overheads that set how this scales to N GPUs: starting Ray, putting the model
  in the object store, a worker's first task (process start, imports), a task on a warm worker, and
  joining a clip's segments.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from vidgan.engine.translator import make_translator
from vidgan.models.checkpoints import LoadedModel
from vidgan.models.registry import load_model
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.plan import plan_files, run_plan
from vidgan.pipeline.ray import LONG_CLIPS, RayOptions, import_ray, translate_on_ray
from vidgan.pipeline.segments import join_clip, plan_clip, translate_segment
from vidgan.video.decode import probe

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)


@dataclass
class ScalingRow:
    setup: str
    seconds: float  # wall time of the whole call
    frames: int

    @property
    def fps(self) -> float:
        return self.frames / self.seconds


def _jobs(clips: list[Path], out: Path) -> list[tuple[Path, Path]]:
    return [(clip, out / f"{i}_{clip.name}") for i, clip in enumerate(clips)]


def _import_vidgan() -> float:
    import vidgan.pipeline.files  # noqa: F401  (what a task imports first)

    return time.perf_counter()


def overheads(model: LoadedModel, clip: Path, options: TranslateOptions, out: Path) -> dict[str, float]:
    """Seconds each: Ray's start, the model's put (and its MB), a worker's first and a warm task, and the
    join of the whole of `clip` in 4 segments (translated by an identity: a join copies bytes, whatever
    made them)."""
    ray = import_ray()
    figures: dict[str, float] = {}
    start = time.perf_counter()
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    figures["ray start (s)"] = time.perf_counter() - start
    try:
        start = time.perf_counter()
        ray.get(ray.put(model.generator.cpu()))
        figures["model put (s)"] = time.perf_counter() - start
        figures["model size (MB)"] = sum(p.numel() * p.element_size() for p in model.generator.parameters()) / 1e6
        task = ray.remote(_import_vidgan)
        start = time.perf_counter()
        ray.get(task.remote())
        figures["first task on a new worker (s)"] = time.perf_counter() - start
        start = time.perf_counter()
        ray.get(task.remote())
        figures["task on a warm worker (s)"] = time.perf_counter() - start
    finally:
        ray.shutdown()
    info = probe(clip)
    segmented = replace(options, segment=max(0.5, (info.duration or 4) / 4), start=None, duration=None)
    plan = plan_clip(clip, out / f"joined_{clip.name}", segmented, "identity")
    plan.prepare()
    translator = make_translator(nn.Identity(), segmented)
    for segment in plan.segments:
        translate_segment(plan, segment, translator, segmented)
    start = time.perf_counter()
    join_clip(plan, segmented)
    figures[f"join of {len(plan.segments)} segments, {info.duration or 0:.0f} s of video (s)"] = (
        time.perf_counter() - start
    )
    return figures


def run_ray_benchmark(clips: list[Path], model_spec: str, options: TranslateOptions
                      ) -> tuple[list[ScalingRow], dict[str, float]]:  # fmt: skip
    ray = import_ray()
    model = load_model(model_spec)
    options = replace(options, quiet=True, device="cpu")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = tmp / "single"
        out.mkdir()
        start = time.perf_counter()
        translator = make_translator(model.generator, options)
        plan = plan_files(_jobs(clips, out), out, "", options)
        frames = sum(r.frames for r in run_plan(plan, translator, options))
        rows.append(ScalingRow(f"one process, {torch.get_num_threads()} torch threads", time.perf_counter() - start,
                               frames))  # fmt: skip
        say(f"{rows[-1].setup}: {rows[-1].seconds:.1f} s")
        for workers in (1, 2):
            out = tmp / f"ray{workers}"
            out.mkdir()
            start = time.perf_counter()
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
            try:
                plan = plan_files(_jobs(clips, out), out, "", options, LONG_CLIPS)
                results = translate_on_ray(plan, model, options, RayOptions(cpus=1))
            finally:
                ray.shutdown()
            failed = [r.error for r in results if r.error]
            if failed:
                raise RuntimeError(failed[0])
            rows.append(ScalingRow(f"Ray, {workers} worker{'s' * (workers > 1)} x 1 thread",
                                   time.perf_counter() - start, sum(r.frames for r in results)))  # fmt: skip
            say(f"{rows[-1].setup}: {rows[-1].seconds:.1f} s")
        costs = overheads(model, clips[0], options, tmp)
    return rows, costs


def markdown(rows: list[ScalingRow], costs: dict[str, float], clips: int, options: TranslateOptions) -> str:
    one, two = rows[1], rows[2]
    lines = [f"{clips} clips, working size {options.size}; wall time of the whole call (Ray's start included).", "",
             "| setup | seconds | frames/s |", "|---|---|---|"]  # fmt: skip
    lines += [f"| {r.setup} | {r.seconds:.1f} | {r.fps:.2f} |" for r in rows]
    lines += ["", f"Scaling from 1 to 2 workers: {one.seconds / two.seconds:.2f}x "
              f"(ideal 2.00x, against one process: {rows[0].seconds / two.seconds:.2f}x).", "",
              "| overhead | value |", "|---|---|"]  # fmt: skip
    lines += [f"| {name} | {value:.3f} |" for name, value in costs.items()]
    return "\n".join(lines)
