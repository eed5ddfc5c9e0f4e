"""The Python API: one function for each `vidgan` command (the CLI, vidgan/cli/, only turns text into these
functions' arguments and their results into text), and `translate_video` for the simple case.

Each function imports what it needs when called: `import vidgan.api` (and the command line) start without
PyAV and FFmpeg, so a training machine whose data are images needs no video stack.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from torch import nn

from vidgan.errors import UsageError, VidganError
from vidgan.models.registry import DEFAULT_MODEL

if TYPE_CHECKING:
    from vidgan.eval.judge import JudgeConfig
    from vidgan.models.checkpoints import LoadedModel
    from vidgan.pipeline.options import TranslateOptions
    from vidgan.pipeline.progress import Listener
    from vidgan.pipeline.ray import RayOptions
    from vidgan.pipeline.record import Result
    from vidgan.train.session import Outcome
    from vidgan.web.settings import Settings


# ---------------------------------------------------------------------------------------------- translate


def load_generator(model: str) -> LoadedModel:
    """A generator by `--model` spec: a shipped or user name, `official:NAME`, or a file path."""
    from vidgan.models.registry import load_model

    return load_model(model)


def _resolve(model: str | nn.Module) -> LoadedModel:
    from vidgan.models.checkpoints import LoadedModel

    if isinstance(model, nn.Module):
        return LoadedModel(type(model).__name__.lower(), model)
    return load_generator(model)


def translate(src: str | os.PathLike, dst: str | os.PathLike | None = None, model: str | nn.Module = DEFAULT_MODEL,
              options: TranslateOptions | None = None, recursive: bool = False, ray: RayOptions | None = None,
              listener: Listener | None = None) -> list[Result]:  # fmt: skip
    """Translate a clip, an image, or every clip and image in a folder; with `ray`, as tasks on a Ray
    cluster. The job is planned and checked once (pipeline/plan.py), then run by an executor
    (pipeline/executors.py).

    `model` is a `--model` spec or any module mapping (N, 3, H, W) in [-1, 1] to the same. For a file,
    `dst` defaults to `NAME_MODEL.EXT` in the current folder; for a folder, to `FOLDER_MODEL` beside it.
    `listener` is told the frames done as they are (and may raise `Cancelled` to stop).
    """
    from vidgan.models.registry import faster_alternative
    from vidgan.pipeline.executors import run_job
    from vidgan.pipeline.options import TranslateOptions

    loaded = _resolve(model)
    return run_job(src, dst, loaded, options or TranslateOptions(), recursive, ray, listener,
                   faster_alternative(loaded.name))  # fmt: skip


def translate_video(src: str | os.PathLike, dst: str | os.PathLike | None = None,
                    model: str | nn.Module = DEFAULT_MODEL, smooth: str = "none", smooth_strength: float | None = None,
                    **options) -> Result:  # fmt: skip
    """Translate one clip (or image). `smooth` is none, ema or flow; other keyword arguments are
    `TranslateOptions` fields."""
    from vidgan.ops.smoothing import DEFAULT_STRENGTH, SmoothingConfig
    from vidgan.pipeline.options import TranslateOptions

    strength = DEFAULT_STRENGTH if smooth_strength is None else smooth_strength
    return translate(src, dst, model, TranslateOptions(smooth=SmoothingConfig(smooth, strength), **options))[0]


def live(source: str, output: Path | None = None, to: str | None = None, to_format: str | None = None,
         model: str = "horse2zebra-fast", size: int | None = None, fps: float | None = None, realtime: bool = False,
         smooth: str = "none", show: bool = False, device: str = "auto", backend: str = "torch",
         stop_after: float | None = None, status: Callable[[dict], None] | None = None) -> dict:  # fmt: skip
    """Translate a live source as it plays (a camera such as /dev/video0, an rtsp:// or http:// stream, or a
    file, at its own pace with `realtime`), the newest frame first (pipeline/live.py), into a file being
    written (`output`), a stream (`to`, muxer `to_format`) and/or a window (`show`). `size` None: the largest
    working size that keeps up with `fps` (default: the source's rate), measured on its first frame. Ctrl-C
    stops it cleanly. Returns the last summary: frames/s, delay, dropped, size, what stopped it."""
    from vidgan.engine.translator import make_translator
    from vidgan.ops.smoothing import SmoothingConfig
    from vidgan.pipeline.live import LiveFrame, LiveTranslator, Window, choose_size, run_live
    from vidgan.pipeline.options import TranslateOptions
    from vidgan.video.live import LiveSink, LiveSource

    if output is None and to is None and not show:
        raise UsageError("say where the translation goes: -o FILE, --to URL or --show")
    source = LiveSource(source, realtime)
    first, _, _ = next(iter(source), (None, 0, 0))
    if first is None:
        raise VidganError(f"{source.source} gave no frame")
    translator = make_translator(load_generator(model).generator, TranslateOptions(device=device, backend=backend))
    rate = fps or source.rate
    chosen, seconds = choose_size(translator, first, rate) if size is None else (size, None)
    if seconds is not None:
        logging.getLogger(__name__).info(f"live: size auto chose {chosen} px: a frame in {1000 * seconds:.0f} ms, "
                                         f"for {rate:g} frames/s")  # fmt: skip
    h, w = first.shape[:2]
    sinks = ([LiveSink(output, (w, h), rate=rate)] if output else []) + \
        ([LiveSink(to, (w, h), to_format, rate)] if to else []) + ([Window()] if show else [])  # fmt: skip

    def write(frame: LiveFrame) -> None:
        for sink in sinks:
            sink.write(frame.output, frame.pts)

    live_translator = LiveTranslator(translator, chosen, write, SmoothingConfig(smooth))
    return run_live(source, live_translator, sinks, stop_after, status)  # (after the frame measured on)


# ---------------------------------------------------------------------------------------------- models


def models() -> list[tuple[str, str, str]]:
    """(name for --model, where it is, what it is and costs) for every model vidgan can use."""
    from vidgan.models.registry import list_models

    return list_models()


def export(source: str | Path, output: Path | None = None, fmt: str = "safetensors", precision: str = "fp16",
           max_shard_bytes: int | None = None, compact: bool = False) -> list[Path]:  # fmt: skip
    """A training run's generators (both; by default into the user folder), its compact state (`compact`),
    or any model --model accepts, written in another form; returns the paths written."""
    from vidgan.train.export import export_model, export_run, load_run_state
    from vidgan.train.state import write_compact

    run = Path(source).is_dir() and (Path(source) / "state.pt").is_file()
    if compact:
        if not run:
            raise UsageError("--compact writes a training run's state: give a run folder")
        if output is None:
            raise UsageError("--compact needs -o FOLDER")
        return write_compact(load_run_state(source), output)
    if run:
        return export_run(source, output, precision, max_shard_bytes, fmt)
    if Path(source).is_dir():
        raise VidganError(f"{source} is not a training run (no state.pt)")
    if output is None:
        raise UsageError(f"give the file to write: -o NAME.{'onnx' if fmt == 'onnx' else 'safetensors'}")
    return [export_model(str(source), output, fmt, precision, max_shard_bytes)]


def pack(folder: Path, output: Path, fmt: str = "webp", quality: int = 60) -> Path:
    """Every image under `folder` in one small zip, to carry training data to another machine."""
    from vidgan.train.pack import pack as run

    return run(folder, output, fmt, quality)


# ---------------------------------------------------------------------------------------------- training


def train(given: dict, recipe: Path | None = None, resume: Path | None = None, continue_from: Path | None = None,
          init_from: Path | None = None, stop_after: float | None = None,
          clock: Callable[[], float] = time.perf_counter, save_compact: Path | None = None, export: bool = True,
          quiet: bool = False, amend: bool = False) -> Outcome:  # fmt: skip
    """A CycleGAN training session (train/session.py): `given` holds TrainConfig fields."""
    from vidgan.train.session import train as run

    return run(given, recipe, resume, continue_from, init_from, stop_after, clock, save_compact, export, quiet, amend)


def distill(teacher: str | None, given: dict, resume: Path | None = None, stop_after: float | None = None,
            save_compact: Path | None = None, export: bool = True, quiet: bool = False) -> Outcome:  # fmt: skip
    """A distillation session: a fast student of `teacher` and its inverse (train/session.py)."""
    from vidgan.train.session import distill as run

    return run(teacher, given, resume, stop_after, save_compact, export, quiet)


def progress(paths: list[Path]) -> list[str]:
    """One line on each training run or compact state: where its schedule stands."""
    from vidgan.train.progress import describe

    return [describe(path) for path in paths]


def plot_losses(run_dir: Path, output: Path | None = None) -> Path:
    """A run's losses over the iterations as a PNG."""
    from vidgan.train.plot import plot_losses as plot

    return plot(run_dir, output)


# ---------------------------------------------------------------------------------------------- evaluation


def _split(root: Path, side: str, kind: str) -> Path:
    """A dataset root's trainA/testB..., or the folder itself."""
    return root / f"{kind}{side}" if (root / f"{kind}{side}").is_dir() else root


def train_judge(a: Path, b: Path, name: str, test_a: Path | None = None, test_b: Path | None = None,
                output: Path | None = None, config: JudgeConfig | None = None) -> Path:  # fmt: skip
    """A judge (an A-vs-B classifier for `evaluate`) trained on `a` and `b` (folders, or dataset roots
    with trainA/trainB and testA/testB); returns the file written (default: into the user folder)."""
    from vidgan.engine.runtime import user_dir
    from vidgan.eval.judge import JudgeConfig
    from vidgan.eval.judge import train_judge as train_one

    if test_a is None or test_b is None:
        if not ((a / "testA").is_dir() and (b / "testB").is_dir()):
            raise UsageError("give --test-a and --test-b (held-out images), or dataset roots with testA/testB")
        test_a, test_b = a / "testA", b / "testB"
    return train_one(_split(a, "A", "train"), _split(b, "B", "train"), test_a, test_b, name, output or user_dir(),
                     config or JudgeConfig())  # fmt: skip


def evaluate(model: str, a: Path, b: Path, judge: str = "horse-vs-zebra", reverse: str | None = None,
             inception: Path | None = None, output: Path = Path("eval"), device: str = "auto",
             limit: int | None = None, blind_judge: str | None = None,
             animals: Path | None = None) -> dict:  # fmt: skip
    """`vidgan eval`'s figures (eval/quality.py); the colour-blind judge defaults to JUDGE-grey where that
    exists."""
    from vidgan.eval.quality import evaluate as run
    from vidgan.models.registry import find_named

    if blind_judge is None and find_named(f"{judge}-grey"):
        blind_judge = f"{judge}-grey"
    return run(model, a, b, judge, reverse, inception, output, device, limit, blind_judge, animals)


def temporal_metrics(input_path: Path, output_path: Path, reference: Path | None = None,
                     methods: tuple[str, ...] = ("dis", "farneback"), start: float | None = None,
                     duration: float | None = None) -> dict:  # fmt: skip
    """The warping error of a translated clip against its input (and PSNR, SSIM to a reference)."""
    from vidgan.eval.temporal import temporal_report

    return temporal_report(input_path, output_path, reference, methods, start, duration)


# ---------------------------------------------------------------------------------------------- serving


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, users: dict[str, str] | None = None,
          hosts: tuple[str, ...] = ()) -> None:  # fmt: skip
    """`vidgan serve` until Ctrl-C (web/app.py)."""
    from vidgan.web.app import serve as run

    run(settings, host, port, users, hosts)


# ---------------------------------------------------------------------------------------------- benchmarks
# Each prints nothing: it returns its table (Markdown) for the caller to show.


def bench(**settings) -> str:
    """`vidgan bench`: translation speed, models against each other, x264 presets, or the plumbing against
    another checkout, each with its baseline measured in the same run (bench/translate.py)."""
    from vidgan.bench import bench as run

    return run(**settings)


def bench_train(**settings) -> str:
    from vidgan.bench.train import bench_train as run

    return run(**settings)


def bench_smooth(jobs: list[tuple[Path, str]], duration: float | None, strength: float) -> str:
    from vidgan.bench.smooth import markdown_table, run_smoothing_benchmark

    rows, costs = run_smoothing_benchmark(jobs, duration, strength)
    return markdown_table(rows, costs, strength)


def bench_upsample(clips: list[Path], model: str, images: Path | None, judge: str, frames: int, count: int,
                   duration: float | None) -> str:  # fmt: skip
    from vidgan.bench.upsample import run_upsampling_benchmark

    return run_upsampling_benchmark(clips, model, images, judge, frames, count, duration)


def bench_serve(clip: Path, model: str, repeats: int = 3) -> str:
    from vidgan.bench.serve import markdown, run_serve_benchmark
    from vidgan.engine.runtime import describe_device, pick_device

    return markdown(run_serve_benchmark(clip, model, repeats), clip, model, describe_device(pick_device("auto")))


def bench_reliability(clip: Path, model: str, clients: int = 4, jobs: int = 5) -> dict:
    """The figures of a bounded load on a real `vidgan serve` (bench/reliability.py); `markdown` in the
    report's "table"."""
    from vidgan.bench.reliability import markdown, run_reliability

    report = run_reliability(clip, model, clients, jobs)
    return report | {"table": markdown(report, clip, model)}


def bench_live(clip: Path, model: str = "horse2zebra-fast", seconds: float = 30.0, rate: float = 30.0,
               device: str = "auto") -> dict:  # fmt: skip
    """Live translation of a camera-like source (bench/live.py); the table in the report's "table"."""
    from vidgan.bench.live import markdown, run_live_benchmark
    from vidgan.engine.runtime import describe_device, pick_device

    report = run_live_benchmark(clip, model, seconds, rate, device)
    return report | {"table": markdown(report, describe_device(pick_device(device)))}


def bench_ray(clips: list[Path], model: str, options: TranslateOptions) -> str:
    from vidgan.bench.ray import markdown, run_ray_benchmark

    rows, costs = run_ray_benchmark(clips, model, options)
    return markdown(rows, costs, len(clips), options)
