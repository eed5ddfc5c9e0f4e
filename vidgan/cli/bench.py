"""The benchmarks' commands: each prints a table whose baseline was measured in the same run (vidgan/bench/,
through vidgan.api); progress lines go to stderr, the table to stdout."""

from __future__ import annotations

from pathlib import Path

import click

from vidgan.cli.common import (
    FOLDER,
    batch_size_option,
    device_option,
    model_option,
    parse_frame_sizes,
    parse_size,
    parse_time,
    show_messages,
    smooth_strength_option,
)
from vidgan.errors import UsageError


@click.command("bench-train")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True, help="Batch of the fast setting.")
@click.option(
    "--compile/--no-compile",
    default=None,
    help="Also time the fast setting compiled (and with CUDA graphs on CUDA).  [default: on CUDA only]",
)
@click.option("--steps", type=click.IntRange(1), default=20, show_default=True, help="Timed iterations per setting.")
@click.option("--warmup", type=click.IntRange(1), default=3, show_default=True, help="Untimed iterations first.")
@click.option("--crop", type=click.IntRange(32), default=256, show_default=True, help="Training crop size.")
def bench_train(device: str, batch_size: int, compile: bool | None, steps: int, warmup: int, crop: int) -> None:
    """Training images/s and TFLOP/s of the paper's setting (fp32, batch 1, eager) and the fast ones, with
    their warm-up (compilation) timed apart."""
    from vidgan import api

    show_messages()
    click.echo(api.bench_train(device=device, batch_size=batch_size, compile=compile, steps=steps, warmup=warmup,
                               crop=crop))  # fmt: skip


@click.command()
@click.option(
    "--sizes",
    default="256x256,640x360",
    show_default=True,
    callback=parse_frame_sizes,
    help="Input frame sizes of the synthetic clips, WxH, comma-separated.",
)
@click.option(
    "--precision",
    "precisions",
    default="auto",
    show_default=True,
    help="Precisions to time, comma-separated (fp32, bf16, fp16); auto: fp32, and bf16 where the device has it "
    "(a CPU without bf16 instructions runs bf16 hundreds of times slower).",
)
@click.option("--frames", type=click.IntRange(4), default=16, show_default=True, help="Frames per clip.")
@batch_size_option
@device_option
@click.option(
    "--size",
    "working",
    default="256",
    show_default=True,
    callback=parse_size,
    help="Working resolution, as for translate.",
)
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the generator (as translate --compile).")
@click.option(
    "--clip",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A real clip, scaled to each size, timed beside the noise clip (e.g. samples/horse.mp4).",
)
@click.option("--preset", default=None, help="x264 preset of the outputs (default: translate's).")
@click.option(
    "--presets",
    default=None,
    help="Also compare these x264 presets at equal quality on --clip at the last size (e.g. medium,faster,veryfast).",
)
@click.option(
    "--against",
    type=FOLDER,
    help="Only time the video plumbing, here and in this other vidgan source tree (e.g. `git worktree add "
    "/tmp/prev HEAD~1`), on the same clips.",
)
@click.option(
    "--models",
    default=None,
    help="Only compare these models (comma-separated, the first the baseline) on --clip: the generator alone "
    "and vidgan translate with the default options, e.g. horse2zebra,horse2zebra-fast.",
)
@click.option(
    "--backends",
    default="torch",
    show_default=True,
    help="With --models: the backends to time each model with (torch, onnxruntime).",
)
def bench(sizes, precisions: str, frames: int, batch_size: int | None, device: str, working: int | None,
          compile_: bool, clip: Path | None, preset: str | None, presets: str | None,
          against: Path | None, models: str | None, backends: str) -> None:  # fmt: skip
    """Time vidgan translate against a sequential fp32 batch-1 loop, the generator alone and decode+encode
    alone, all in this run, and print a Markdown table (with --models: models against each other)."""
    from vidgan import api

    show_messages()
    click.echo(api.bench(sizes=sizes, precisions=precisions, frames=frames, batch_size=batch_size, device=device,
                         working=working, compile=compile_, clip=clip, preset=preset, presets=presets, against=against,
                         models=models, backends=backends))  # fmt: skip


@click.command("bench-smooth")
@click.argument("jobs", nargs=-1, required=True, metavar="CLIP:MODEL...")
@click.option("--duration", default=None, callback=parse_time, help="Translate only this much of each clip.")
@smooth_strength_option
def bench_smooth(jobs: tuple[str, ...], duration: float | None, smooth_strength: float) -> None:
    """Warping error of per-frame, ema and flow translations of each CLIP with MODEL, their fidelity to the
    per-frame result, and the smoother's cost at 360p and 720p, in one run."""
    from vidgan import api

    pairs = [job.partition(":") for job in jobs]
    if any(not sep or not clip for clip, sep, _ in pairs):
        raise UsageError(f"expected CLIP:MODEL, got {', '.join(jobs)}")
    show_messages()
    click.echo(api.bench_smooth([(Path(clip), model) for clip, _, model in pairs], duration, smooth_strength))


@click.command("bench-upsample")
@click.argument("clips", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_option()
@click.option(
    "--images",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A folder of images (e.g. testA), upscaled 4x.",
)
@click.option("--judge", default="horse-vs-zebra", show_default=True, help="Judge for the images' score.")
@click.option("--frames", type=click.IntRange(1), default=6, show_default=True, help="Frames per clip.")
@click.option("--count", type=click.IntRange(1), default=40, show_default=True, help="Images from --images.")
@click.option("--duration", default="3", callback=parse_time, help="Seconds of each clip in the pipeline.")
def bench_upsample(clips: tuple[Path, ...], model: str, images: Path | None, judge: str, frames: int, count: int,
                   duration: float | None) -> None:  # fmt: skip
    """Upsampling methods against plain resizing in one run: sharpness kept and fidelity on each CLIP at
    1080p (and the judge score on --images upscaled 4x), the cost per frame at 720p and 1080p, and the
    first clip through the pipeline with smoothing (flicker and frames/s)."""
    from vidgan import api

    show_messages()
    click.echo(api.bench_upsample(list(clips), model, images, judge, frames, count, duration))


@click.command("bench-serve")
@click.argument("clip", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_option()
@click.option("--repeats", type=click.IntRange(1), default=3, show_default=True, help="Rounds; the best counts.")
def bench_serve(clip: Path, model: str, repeats: int) -> None:
    """CLIP translated through `vidgan serve` (upload to download, a real server on 127.0.0.1) against the
    Python API and `vidgan translate` in the same run: what the service costs."""
    from vidgan import api

    show_messages()
    click.echo(api.bench_serve(clip, model, repeats))


@click.command("bench-reliability")
@click.argument("clip", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_option("horse2zebra-fast")
@click.option("--clients", type=click.IntRange(1), default=4, show_default=True, help="Clients at once.")
@click.option("--jobs", type=click.IntRange(1), default=5, show_default=True, help="Jobs each client submits.")
def bench_reliability(clip: Path, model: str, clients: int, jobs: int) -> None:
    """A bounded load on a real `vidgan serve` on 127.0.0.1 (good and bad jobs, cancels, a stalled upload),
    then Ctrl-C: jobs done, refusals and their codes, the status route's latency, memory, files left, the
    time to exit."""
    from vidgan import api

    show_messages()
    report = api.bench_reliability(clip, model, clients, jobs)
    click.echo(report["table"])
    if report["files_left"] or report["wrong_codes"]:
        raise click.ClickException(f"{report['files_left']} files left, {len(report['wrong_codes'])} wrong codes: "
                                   f"{'; '.join(report['wrong_codes'])}")  # fmt: skip


@click.command("bench-ray")
@click.argument("clips", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_option()
@click.option("--size", default="128", show_default=True, callback=parse_size, help="Working resolution.")
@click.option("--duration", default=None, callback=parse_time, help="Translate only this much of each clip.")
def bench_ray(clips: tuple[Path, ...], model: str, size: int | None, duration: float | None) -> None:
    """The CLIPS translated by one process and as Ray tasks with 1 and 2 workers on this machine (the
    scaling ratio), and Ray's overheads: start, model broadcast, task start-up, segment join."""
    from vidgan import api
    from vidgan.pipeline.options import TranslateOptions

    show_messages()
    click.echo(api.bench_ray(list(clips), model, TranslateOptions(size=size, duration=duration)))


@click.command("bench-live")
@click.argument("clip", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_option("horse2zebra-fast")
@click.option("--seconds", type=click.FloatRange(1), default=30.0, show_default=True, help="How long the camera plays.")
@click.option("--rate", type=click.FloatRange(1), default=30.0, show_default=True, help="The camera's frames/s.")
@device_option
def bench_live(clip: Path, model: str, seconds: float, rate: float, device: str) -> None:
    """CLIP as a 640x480 camera at --rate through `vidgan live` (size auto): frames/s translated, the delay
    from capture to output, and the generator alone at the size chosen, in one run."""
    from vidgan import api

    show_messages()
    click.echo(api.bench_live(clip, model, seconds, rate, device)["table"])
