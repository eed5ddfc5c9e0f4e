"""Translation on a Ray cluster (`vidgan translate clips/ -o out/ -r --ray [ADDRESS]`): Ray runs the tasks,
vidgan only says what they are. Needs the extra: `pip install 'vidgan[ray]'`.

- One task per clip or image, or per segment of a long clip (`--segment`; on a cluster by default for
  clips over SEGMENT_ABOVE seconds): a segment's part is written by a worker and the driver joins the
  parts once all are there (pipeline/segments.py).
- The model goes into the object store once (`ray.put`); every task reads it from there.
- A task asks for one GPU where the cluster has GPUs, else one CPU (both settable); on a CPU its torch uses
  as many threads as the task has CPUs, so tasks do not fight over cores.
- The workers write the outputs themselves: the output folder must be a path every worker and the driver
  see (one machine, or a shared file system). Writes are atomic as on one machine, so a rerun skips what
  is finished (and a segmented clip's finished parts). A worker that dies has its task run again by Ray
  (RETRIES times); the driver removes the temporary file it left.
- One overall bar (frames/s, ETA) from the frame counts tasks send to a small actor; a failed clip is
  reported and the others finish. Ctrl-C cancels the tasks (they delete their temporary files) and stops
  a Ray instance started here.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from vidgan.atomic import leftover_temporaries
from vidgan.checkpoints import LoadedModel
from vidgan.errors import VidganError
from vidgan.pipeline import progress
from vidgan.pipeline.clip import TranslateOptions, expected_frames
from vidgan.pipeline.jobs import is_image, make_translator, translate_path
from vidgan.pipeline.record import Result
from vidgan.pipeline.segments import SegmentedClip, join_clip, plan_clip, translate_segment
from vidgan.video.decode import Span, probe
from vidgan.video.segments import Segment

SEGMENT_ABOVE = 300.0  # seconds: on a cluster, a longer clip is cut into segments even without --segment
DEFAULT_SEGMENT = 60.0  # seconds per segment where the cluster cuts a clip on its own
RETRIES = 3  # times Ray runs a task again whose worker died
REPORT_EVERY = 0.5  # seconds between a task's frame counts to the driver


@dataclass
class RayOptions:
    address: str = "local"  # local: a Ray instance on this machine; auto: the running cluster; ray://HEAD:10001
    gpus: float | None = None  # per task; None: 1 where the cluster has GPUs, else 0
    cpus: float = 1.0  # per task (on a CPU, the torch threads a task uses)


@dataclass(frozen=True)
class Unit:
    """One task's work: a whole file, or one segment of a clip."""

    src: Path
    dst: Path
    clip: SegmentedClip | None = None
    segment: Segment | None = None

    @property
    def target(self) -> Path:
        return self.clip.part(self.segment) if self.clip else self.dst


def import_ray():
    try:
        import ray
    except ImportError:
        raise VidganError("--ray needs Ray: pip install 'vidgan[ray]'") from None
    return ray


class _Sender:
    """Frame counts to the driver's tally, a few times a second (not one message per frame)."""

    def __init__(self, tally) -> None:
        self.tally, self.count, self.sent = tally, 0, time.monotonic()

    def __call__(self, n: int) -> None:
        self.count += n
        if time.monotonic() - self.sent >= REPORT_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.count:
            self.tally.add.remote(self.count)
        self.count, self.sent = 0, time.monotonic()


def _run_unit(model: nn.Module, unit: Unit, options: TranslateOptions, tally, threads: int, device: str,
              model_name: str) -> Result:  # fmt: skip
    """The task: one unit on the worker's device; bad input comes back as the result's error."""
    torch.set_num_threads(threads)
    sender = _Sender(tally)
    progress.forward_frames(sender)
    try:
        translator = make_translator(model, dataclasses.replace(options, device=device))
        if unit.segment is not None:
            return translate_segment(unit.clip, unit.segment, translator, options)
        return translate_path(unit.src, unit.dst, translator, options, model=model_name)
    except VidganError as e:
        return Result(unit.src, unit.dst, error=str(e))
    finally:
        sender.flush()
        progress.forward_frames(None)


def _expected_frames(unit: Unit, options: TranslateOptions) -> int:
    """About how many frames a unit translates (an image counts one), for the overall bar."""
    if is_image(unit.src):
        return 1
    try:
        info = probe(unit.src)
    except VidganError:
        return 0
    span = unit.segment.span(info) if unit.segment else Span.of(info, options.start, options.duration)
    return expected_frames(info, span) or 0


def _plan(jobs: list[tuple[Path, Path]], options: TranslateOptions, model: str
          ) -> tuple[list[Unit], dict[Path, Result], dict[Path, SegmentedClip]]:  # fmt: skip
    """The units to run; the results known already (skipped, refused); the clips in segments."""
    units, known, clips = [], {}, {}
    for src, dst in jobs:
        if dst.exists() and not options.overwrite:
            known[dst] = Result(src, dst, skipped=True)
            continue
        length = options.segment
        if length is None and not is_image(src):
            try:
                duration = probe(src).duration or 0.0
            except VidganError as e:
                known[dst] = Result(src, dst, error=str(e))
                continue
            length = DEFAULT_SEGMENT if duration > SEGMENT_ABOVE else None
        if length is None or is_image(src):
            units.append(Unit(src, dst))
            continue
        try:
            clip = plan_clip(src, dst, dataclasses.replace(options, segment=length), model)
        except VidganError as e:
            known[dst] = Result(src, dst, error=str(e))
            continue
        clips[dst] = clip
        units += [Unit(src, dst, clip, s) for s in clip.missing()]
    return units, known, clips


def translate_on_ray(jobs: list[tuple[Path, Path]], model: LoadedModel, options: TranslateOptions,
                     ray_options: RayOptions) -> list[Result]:  # fmt: skip
    """Translate (input, output) pairs as Ray tasks; one result per pair, in order."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        address = None if ray_options.address == "local" else ray_options.address
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except ConnectionError as e:
            raise VidganError(f"cannot reach the Ray cluster at {ray_options.address}: {e}") from None
    try:
        return _drive(ray, jobs, model, options, ray_options)
    finally:
        if started_here:
            ray.shutdown()


def _drive(ray, jobs, model: LoadedModel, options: TranslateOptions, ray_options: RayOptions) -> list[Result]:
    units, known, clips = _plan(jobs, options, model.name)
    gpus = ray_options.gpus if ray_options.gpus is not None else float(ray.cluster_resources().get("GPU", 0) > 0)
    task_options = dataclasses.replace(options, quiet=True, segment=None)

    @ray.remote(num_cpus=0)
    class Tally:
        def __init__(self) -> None:
            self.frames = 0

        def add(self, n: int) -> None:
            self.frames += n

        def count(self) -> int:
            return self.frames

    tally = Tally.remote()
    model_ref = ray.put(model.generator.cpu().eval())  # once, for every task
    task = ray.remote(_run_unit).options(num_cpus=ray_options.cpus, num_gpus=gpus, max_retries=RETRIES)
    threads, device = max(1, int(ray_options.cpus)), "cuda" if gpus else "cpu"
    running = {task.remote(model_ref, u, task_options, tally, threads, device, model.name): u for u in units}
    total = sum(_expected_frames(u, options) for u in units)
    bar = tqdm(total=total or None, desc=f"{len(jobs)} files on Ray", unit="frame", disable=options.quiet,
               dynamic_ncols=True)  # fmt: skip
    done: dict[Unit, Result] = {}
    try:
        while running:
            ready, _ = ray.wait(list(running), num_returns=1, timeout=REPORT_EVERY)
            for ref in ready:
                unit = running.pop(ref)
                try:
                    done[unit] = ray.get(ref)
                except ray.exceptions.RayError as e:  # the task failed past its retries, or crashed
                    done[unit] = Result(unit.src, unit.dst, error=str(e).strip().splitlines()[-1])
                for leftover in leftover_temporaries(unit.target):  # a killed worker's
                    leftover.unlink(missing_ok=True)
                for notice in done[unit].notices:
                    bar.write(f"note: {unit.src.name}: {notice}")
            bar.n = ray.get(tally.count.remote()) + sum(is_image(u.src) for u in done)
            bar.refresh()
    except KeyboardInterrupt:
        for ref in running:
            ray.cancel(ref)  # the task gets KeyboardInterrupt and deletes its temporary file
        if running:
            ray.wait(list(running), num_returns=len(running), timeout=10)
        for unit in running.values():
            for leftover in leftover_temporaries(unit.target):
                leftover.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    return [known.get(dst) or _result_of(src, dst, clips.get(dst), done, options) for src, dst in jobs]


def _result_of(src: Path, dst: Path, clip: SegmentedClip | None, done: dict[Unit, Result],
               options: TranslateOptions) -> Result:  # fmt: skip
    """A file's result: its task's, or for a clip in segments the join of its parts (done here)."""
    if clip is None:
        return done[Unit(src, dst)]
    parts = [r for u, r in done.items() if u.clip == clip]
    failed = [r.error for r in parts if r.error]
    if failed:
        return Result(src, dst, error=f"{failed[0]} (the finished segments are kept: a rerun resumes)")
    try:
        result = join_clip(clip, options, seconds=sum(r.seconds for r in parts))
    except VidganError as e:
        return Result(src, dst, error=str(e))
    result.notices += [n for r in parts for n in r.notices if n not in result.notices]
    return result
