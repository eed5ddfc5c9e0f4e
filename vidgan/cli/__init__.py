"""The `vidgan` command: a click group of commands, one module per area (translate, train, models, evaluate,
serve, bench); each turns text into vidgan.api's arguments and its results into text, and the group turns
every error into one line, once (common.py)."""

from __future__ import annotations

import click

from vidgan.cli import bench, evaluate, live, models, serve, train, translate
from vidgan.cli.common import Group


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vidgan")
def main() -> None:
    """Translate videos from one visual domain to another with CycleGAN (horse to zebra, summer to
    winter, photo to painting), keeping the original timestamps and sound."""


for command in (translate.translate, models.models, train.train, train.distill, models.export, models.pack,
                evaluate.train_judge, evaluate.evaluate, evaluate.metrics, models.progress, models.plot_losses,
                serve.serve, live.live, bench.bench_train, bench.bench, bench.bench_smooth, bench.bench_upsample,
                bench.bench_serve, bench.bench_reliability, bench.bench_ray, bench.bench_live):  # fmt: skip
    main.add_command(command)
