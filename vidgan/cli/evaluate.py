"""`vidgan eval`, `train-judge` and `metrics temporal`: measuring translations, through vidgan.api."""

from __future__ import annotations

import json
from pathlib import Path

import click

from vidgan.cli.common import FILE, FOLDER, device_option, parse_time, show_messages


@click.command("train-judge")
@click.option(
    "--a",
    "a_dir",
    required=True,
    type=FOLDER,
    help="Training images of domain A (a dataset root with trainA/testA works too).",
)
@click.option("--b", "b_dir", required=True, type=FOLDER, help="Training images of domain B (or the dataset root).")
@click.option("--test-a", type=FOLDER, help="Held-out A images (default: testA).")
@click.option("--test-b", type=FOLDER, help="Held-out B images (default: testB).")
@click.option("--name", required=True, help="Judge name, e.g. horse-vs-zebra.")
@click.option(
    "-o",
    "--output",
    type=FOLDER,
    help="Folder to write NAME.safetensors and NAME.json to. Default: the user folder.",
)
@click.option(
    "--epochs", type=click.IntRange(1), default=14, show_default=True, help="Passes over the training images."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--grey", is_flag=True, help="Colour-blind: the judge sees luma only (and random brightness and "
              "contrast while it learns), so a recoloured scene cannot pass for the other domain.")  # fmt: skip
def train_judge(a_dir: Path, b_dir: Path, test_a: Path | None, test_b: Path | None, name: str, output: Path | None,
                epochs: int, seed: int, grey: bool) -> None:  # fmt: skip
    """Train the judge: a small A-vs-B classifier used by `vidgan eval` (no downloads needed)."""
    from vidgan import api
    from vidgan.eval.judge import JudgeConfig

    show_messages()
    path = api.train_judge(a_dir, b_dir, name, test_a, test_b, output, JudgeConfig(epochs=epochs, seed=seed, grey=grey))
    click.echo(f"wrote {path}")


@click.command("eval")
@click.option("-m", "--model", required=True, help="The model to evaluate (as for translate).")
@click.option("--a", "a_dir", required=True, type=FOLDER, help="Source-domain test images (testA for an A->B model).")
@click.option("--b", "b_dir", required=True, type=FOLDER, help="Target-domain test images.")
@click.option("--judge", default="horse-vs-zebra", show_default=True, help="Judge name or file (see train-judge).")
@click.option("--blind-judge", help="A colour-blind judge of the pair (train-judge --grey), for its score.  "
              "[default: the judge's name + -grey, where it exists]")  # fmt: skip
@click.option("--reverse", help="The reverse model, for cycle reconstruction figures.")
@click.option("--animals", type=FILE, help="Boxes round the animals of the --a images (JSON; vidgan/eval/animals.py): "
              "adds the stripes drawn outside them.")  # fmt: skip
@click.option(
    "--inception",
    type=FILE,
    help="pytorch-fid's InceptionV3 weights file (pt_inception-2015-12-05-6726825d.pth): adds standard FID.",
)
@click.option(
    "-o",
    "--output",
    type=FOLDER,
    default=Path("eval"),
    show_default=True,
    help="Folder for eval.json, eval.md and contact_sheet.png.",
)
@device_option
@click.option("--limit", type=click.IntRange(2), help="Use only the first N images of each folder.")
def evaluate(model: str, a_dir: Path, b_dir: Path, judge: str, blind_judge: str | None, reverse: str | None,
             animals: Path | None, inception: Path | None, output: Path, device: str,
             limit: int | None) -> None:  # fmt: skip
    """Measure a model's translations offline: judge scores (colour and colour-blind), judge-FID/KID (with
    ceiling and floor), the background shift, cycle error, and standard FID where the Inception weights
    are at hand."""
    from vidgan import api
    from vidgan.eval.quality import markdown

    report = api.evaluate(model, a_dir, b_dir, judge, reverse, inception, output, device, limit, blind_judge, animals)
    click.echo(markdown(report))
    click.echo(f"wrote {output / 'eval.json'}, {output / 'eval.md'}, {output / 'contact_sheet.png'}")


metrics = click.Group("metrics", help="Measure translated videos.")


@click.command("temporal")
@click.argument("input_path", metavar="INPUT", type=FILE)
@click.argument("output_path", metavar="OUTPUT", type=FILE)
@click.option("--reference", type=FILE, help="The per-frame (unsmoothed) output: adds PSNR and SSIM of OUTPUT to it.")
@click.option("--flow", "methods", type=click.Choice(["dis", "farneback", "both"]), default="both", show_default=True,
              help="Optical flow used to warp the previous frame.")  # fmt: skip
@click.option("--json", "json_path", type=FILE, help="Also write the figures here.")
@click.option("--start", default=None, callback=parse_time, help="OUTPUT was translated from INPUT from here on "
              "(as translate's --start).")  # fmt: skip
@click.option("--duration", default=None, callback=parse_time, help="... and this long (as translate's --duration).")
def temporal_metrics(input_path: Path, output_path: Path, reference: Path | None, methods: str,
                     json_path: Path | None, start: float | None, duration: float | None) -> None:  # fmt: skip
    """Warping error of OUTPUT (translated from INPUT): flicker between consecutive frames after following
    the input's motion (Lai et al. 2018; lower is steadier), in [0, 1] pixel units squared. Frames are paired
    by their times; an output of part of the clip needs the --start/--duration it was made with, and frames
    that do not line up are refused, never scored."""
    from vidgan import api
    from vidgan.atomic import write_text

    chosen = ("dis", "farneback") if methods == "both" else (methods,)
    report = api.temporal_metrics(input_path, output_path, reference, chosen, start, duration)
    for method, value in report["warping_error"].items():
        click.echo(f"warping error ({method}): {value:.6f}")
    if reference is not None:
        click.echo(f"PSNR to reference: {report['psnr_to_reference']:.2f} dB")
        click.echo(f"SSIM to reference: {report['ssim_to_reference']:.4f}")
    if json_path:
        write_text(json_path, json.dumps(report, indent=2) + "\n")


metrics.add_command(temporal_metrics)
