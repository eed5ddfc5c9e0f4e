"""`vidgan translate`: a clip, an image or a folder, through vidgan.api.translate."""

from __future__ import annotations

from pathlib import Path

import click

from vidgan.cli.common import (
    batch_size_option,
    choice_option,
    device_option,
    model_option,
    output_option,
    parse_size,
    parse_time,
    print_table,
    show_messages,
    smooth_strength_option,
)
from vidgan.engine.runtime import PRECISIONS
from vidgan.errors import VidganError
from vidgan.ops.smoothing import MODES as SMOOTHING
from vidgan.ops.upsampling import METHODS as UPSAMPLING
from vidgan.pipeline.options import GENERATOR_BACKENDS
from vidgan.video.formats import ENCODERS

CODECS = list(ENCODERS)


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@output_option(
    "Output file (or folder, for a folder INPUT). Default: INPUT_MODEL.EXT in the current folder "
    "(INPUT_MODEL beside a folder INPUT, its files named NAME_MODEL.EXT as single files are)."
)
@model_option(help="A model name (see `vidgan models`), official:NAME, or a .safetensors/.pth file.")
@click.option("-r", "--recursive", is_flag=True, help="With a folder INPUT, include its subfolders.")
@device_option
@choice_option(
    "--precision",
    PRECISIONS,
    "auto",
    "Arithmetic of the generator; auto is bf16 on CUDA and on CPUs with bf16 hardware, else fp32.",
)
@batch_size_option
@click.option(
    "--compile",
    "compile_",
    is_flag=True,
    help="torch.compile the generator for the clip's frame size (worth it for long clips on a GPU).",
)
@choice_option(
    "--backend",
    GENERATOR_BACKENDS,
    "torch",
    "What runs the generator: torch, or onnxruntime on the CPU "
    "(pip install 'vidgan[onnx]'; faster there, see docs/benchmarks.md).",
)
@click.option(
    "--size",
    default="256",
    show_default=True,
    callback=parse_size,
    help="Working resolution: the short side in pixels (the models were trained at 256), or 'native'.",
)
@choice_option(
    "--output-size",
    ["input", "working"],
    "input",
    "input: scale the result back to the input's size; working: keep the working resolution.",
)
@choice_option(
    "--upsample",
    UPSAMPLING,
    UPSAMPLING[0],
    "How the result reaches an output larger than the working "
    "size: detail (the input's fine detail where the translation left the content alone), guided (a "
    "guided filter), resize (plain bicubic).",
)
@click.option("--codec", type=click.Choice(CODECS), default=None, help="Video codec. Default: h264 (vp9 for .webm).")
@click.option(
    "--crf",
    type=click.FloatRange(0, 63),
    default=None,
    help="Constant quality, lower is better (defaults: h264 21.5, hevc 28, vp9 32, av1 35).",
)
@click.option(
    "--preset",
    default=None,
    help="Encoder speed: x264/x265 names (ultrafast..veryslow; default veryfast for h264, medium for hevc); "
    "vp9 cpu-used 0-8 (default 4); av1 0-13 (default 8).",
)
@choice_option(
    "--smooth",
    SMOOTHING,
    "none",
    "Temporal smoothing against flicker: flow (optical flow, keeps motion sharp) or ema (still shots).",
)
@smooth_strength_option
@click.option(
    "--compare",
    is_flag=True,
    help="Write input and output side by side (and a masked model's mask: white where it changes the frame).",
)
@click.option(
    "--start", default=None, callback=parse_time, help="Start this far into the clip: seconds (12.5) or [h:]m:s."
)
@click.option("--duration", default=None, callback=parse_time, help="Translate only this long: seconds or [h:]m:s.")
@click.option("--overwrite", is_flag=True, help="Replace outputs that exist.")
@click.option("--keep-partial", is_flag=True, help="An input that is cut short or breaks: keep the output up to the "
              "break, with its sound (the exit status still says so).")  # fmt: skip
@click.option(
    "--segment",
    default=None,
    callback=parse_time,
    help="Translate each clip in segments of about this long (60s, 1:30), cut at keyframes and joined at the "
    "end: a rerun resumes at the first missing segment.",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Run as Ray tasks, one per clip or segment: alone, on a Ray instance started on this machine; auto "
    "or ray://HEAD:10001, on a running cluster, whose workers must see the output path "
    "(pip install 'vidgan[ray]'). Clips over 5 minutes go in 60 s segments unless --segment says otherwise.",
)
@click.option("--ray-gpus", type=click.FloatRange(0), default=None,
              help="GPUs per Ray task.  [default: 1 where the cluster has GPUs, else 0]")  # fmt: skip
@click.option("--ray-cpus", type=click.FloatRange(0, min_open=True), default=1.0, show_default=True,
              help="CPUs per Ray task (on a CPU, the torch threads it uses).")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or notices; errors still print.")
def translate(input_path: Path, output: Path | None, model: str, recursive: bool, device: str, precision: str,
              batch_size: int, compile_: bool, backend: str, size: int | None, output_size: str, upsample: str,
              codec: str | None,
              crf: float | None, preset: str | None, smooth: str, smooth_strength: float, compare: bool,
              start: float | None, duration: float | None, overwrite: bool, keep_partial: bool,
              segment: float | None, ray_address: str | None, ray_gpus: float | None, ray_cpus: float,
              quiet: bool) -> None:  # fmt: skip
    """Translate a video, an image, or every video and image in a folder.

    \b
      vidgan translate horse.mp4 --model horse2zebra
      vidgan translate clips/ -o zebras/ -r
      vidgan translate clips/ -o zebras/ -r --ray          # as Ray tasks
    In a folder, outputs that exist are skipped (a rerun resumes) and a broken clip does not stop the
    others; the exit status is non-zero if any clip failed.

    On a CPU the paper's generator takes seconds per frame (the estimate is printed up front): a GPU,
    a smaller --size, or a part of the clip (--start/--duration) is much faster.
    """
    from vidgan import api
    from vidgan.ops.smoothing import SmoothingConfig
    from vidgan.pipeline.options import TranslateOptions
    from vidgan.pipeline.ray import RayOptions
    from vidgan.video.formats import EncodeSettings

    show_messages(quiet)
    try:
        options = TranslateOptions(
            size=size, output_size=output_size, upsample=upsample, batch_size=batch_size, device=device,
            compile=compile_, backend=backend, precision=precision, encode=EncodeSettings(codec, crf, preset),
            compare=compare, smooth=SmoothingConfig(smooth, smooth_strength), start=start, duration=duration,
            overwrite=overwrite, keep_partial=keep_partial, segment=segment, quiet=quiet,
        )  # fmt: skip
    except VidganError as e:  # option values: a usage error, as click's own
        raise click.UsageError(str(e)) from None
    ray = RayOptions(ray_address, ray_gpus, ray_cpus) if ray_address is not None else None
    results = api.translate(input_path, output, model, options, recursive, ray)
    if input_path.is_dir():  # notices were written as each file finished
        failed = [r for r in results if r.error or r.partial]
        if failed or not quiet:  # quiet: errors only
            print_table(results, input_path, err=quiet)
        if failed:
            raise click.ClickException(f"{len(failed)} of {len(results)} files failed or are partial")
        return
    r = results[0]
    for notice in r.notices if not quiet else ():
        click.echo(f"note: {r.src.name}: {notice}", err=True)
    frames = f"{r.frames} frame{'s' * (r.frames != 1)}"
    if r.partial:
        raise click.ClickException(f"kept a partial output, {r.dst} ({frames}): {r.partial}")
    if not quiet:
        click.echo(f"wrote {r.dst} ({frames} in {r.seconds:.1f} s, {r.fps:.1f} frames/s)")
