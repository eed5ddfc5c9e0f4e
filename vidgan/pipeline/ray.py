"""Translation on a Ray cluster (`vidgan translate clips/ -o out/ -r --ray [ADDRESS]`): Ray runs the tasks,
vidgan only says what they are. Needs the extra: `pip install 'vidgan[ray]'`.

- One task per clip or image, or per segment of a long clip (`--segment`; on a cluster by default for
  clips over LONG_CLIPS[0] seconds): a segment's part is written by a worker and the driver joins the
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
import logging
import time
from dataclasses import dataclass

import torch
from torch import nn
from tqdm import tqdm

from vidgan.atomic import leftover_temporaries
from vidgan.engine.translator import make_translator
from vidgan.errors import VidganError
from vidgan.models.checkpoints import LoadedModel
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.plan import Plan, Unit, run_unit
from vidgan.pipeline.progress import Listener
from vidgan.pipeline.record import Result

logger = logging.getLogger(__name__)

# On a cluster a clip over 300 s is cut into segments of 60 s even without --segment (plan_job's long_clips).
LONG_CLIPS = (300.0, 60.0)
RETRIES = 3  # times Ray runs a task again whose worker died
REPORT_EVERY = 0.5  # seconds between a task's frame counts to the driver


@dataclass
class RayOptions:
    address: str = "local"  # local: a Ray instance on this machine; auto: the running cluster; ray://HEAD:10001
    gpus: float | None = None  # per task; None: 1 where the cluster has GPUs, else 0
    cpus: float = 1.0  # per task (on a CPU, the torch threads a task uses)


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


def _run_unit(model: nn.Module, unit: Unit, options: TranslateOptions, tally, threads: int,
              device: str) -> Result:  # fmt: skip
    """The task: one unit on the worker's device; bad input comes back as the result's error."""
    torch.set_num_threads(threads)
    sender = _Sender(tally)
    try:
        translator = make_translator(model, dataclasses.replace(options, device=device))
        return run_unit(unit, translator, options, listener=sender)
    except VidganError as e:
        return Result(unit.src, unit.dst, error=str(e))
    finally:
        sender.flush()


def translate_on_ray(plan: Plan, model: LoadedModel, options: TranslateOptions, ray_options: RayOptions,
                     listener: Listener | None = None) -> list[Result]:  # fmt: skip
    """Run a plan's units as Ray tasks (plan it with `long_clips=LONG_CLIPS`); one result per file, in
    order. `listener` is told the frames done, as the overall bar is."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        address = None if ray_options.address == "local" else ray_options.address
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except ConnectionError as e:
            raise VidganError(f"cannot reach the Ray cluster at {ray_options.address}: {e}") from None
    try:
        with plan.prepared():
            done = _drive(ray, plan, model, options, ray_options, listener)
            return [plan.result_of(f, done, options) for f in plan.files]
    finally:
        if started_here:
            ray.shutdown()


def _drive(ray, plan: Plan, model: LoadedModel, options: TranslateOptions, ray_options: RayOptions,
           listener: Listener | None) -> dict[Unit, Result]:  # fmt: skip
    units = plan.units
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
    running = {task.remote(model_ref, u, task_options, tally, threads, device): u for u in units}
    bar = tqdm(total=plan.expected_frames() or None, desc=f"{len(plan.files)} files on Ray", unit="frame",
               disable=options.quiet, dynamic_ncols=True)  # fmt: skip
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
                for leftover in leftover_temporaries(unit.writes):  # a killed worker's
                    leftover.unlink(missing_ok=True)
                for notice in done[unit].notices:
                    logger.info(f"note: {unit.src.name}: {notice}")
            frames = ray.get(tally.count.remote()) + sum(u.info is None for u in done)
            if listener is not None and frames > bar.n:
                listener(frames - bar.n)
            bar.n = frames
            bar.refresh()
    except BaseException:  # Ctrl-C, or a listener's Cancelled
        _cancel(ray, running)
        raise
    finally:
        bar.close()
    return done


def _cancel(ray, running: dict) -> None:
    """Cancel the tasks still running (each gets KeyboardInterrupt and deletes its temporary file) and remove
    what a killed one left."""
    for ref in running:
        ray.cancel(ref)
    if running:
        ray.wait(list(running), num_returns=len(running), timeout=10)
    for unit in running.values():
        for leftover in leftover_temporaries(unit.writes):
            leftover.unlink(missing_ok=True)
