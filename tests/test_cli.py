"""`vidgan translate` as a user runs it: default names, folders, images, the summary."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from clips import make_clip, read_video
from PIL import Image

from vidgan.cli import main

ROOT = Path(__file__).resolve().parents[1]


def invoke(*args, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, [str(a) for a in args])
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(main, [str(a) for a in args])


def test_default_output_name_and_summary(tmp_path, tiny_model, monkeypatch):
    clip = make_clip(tmp_path / "horse.mp4", 64, 48, frames=5)
    monkeypatch.chdir(tmp_path)
    result = invoke("translate", clip, "-m", tiny_model, "--size", "32")
    assert result.exit_code == 0, result.output
    out = tmp_path / "horse_tiny.mp4"
    assert out.is_file() and len(read_video(out)[0]) == 5
    assert "wrote horse_tiny.mp4 (5 frames in " in result.output.strip().splitlines()[-1]  # named as a user would


def test_folder_resumes_skips_and_survives_a_broken_clip(tmp_path, tiny_model):
    clips = tmp_path / "clips"
    (clips / "sub").mkdir(parents=True)
    make_clip(clips / "a.mp4", 64, 48, frames=3)
    make_clip(clips / "sub" / "b.mkv", 64, 48, frames=3)
    (clips / "broken.mp4").write_bytes(b"not a video at all" * 10)
    Image.fromarray(np.full((40, 50, 3), 90, np.uint8)).save(clips / "still.png")
    out = tmp_path / "out"
    result = invoke("translate", clips, "-o", out, "-m", tiny_model, "-r", "--size", "32", "--quiet")
    assert result.exit_code == 1
    assert "3 translated, 0 skipped, 1 failed" in result.output
    assert "broken.mp4" in result.output and "failed" in result.output
    assert "sub/b.mkv" in result.output  # named within the folder
    # each output named as a single file's would be: NAME_MODEL.EXT
    assert (out / "a_tiny.mp4").is_file() and (out / "sub" / "b_tiny.mkv").is_file()
    assert (out / "still_tiny.png").is_file() and not (out / "broken_tiny.mp4").exists()
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]

    # A rerun skips what exists and retries only the broken one.
    result = invoke("translate", clips, "-o", out, "-m", tiny_model, "-r", "--size", "32", "--quiet")
    assert "0 translated, 3 skipped, 1 failed" in result.output


def test_a_rerun_that_skips_everything_says_only_that(tmp_path, tiny_model):
    clips = tmp_path / "clips"
    clips.mkdir()
    make_clip(clips / "a.mp4", 32, 32, frames=2)
    assert invoke("translate", clips, "-m", tiny_model, "--size", "32").exit_code == 0
    again = invoke("translate", clips, "-m", tiny_model, "--size", "32")
    assert again.exit_code == 0 and "0 translated, 1 skipped, 0 failed" in again.output
    assert "file/s" not in again.output and "note:" not in again.output


def test_a_long_runs_estimate_names_the_faster_model_once(caplog):
    from vidgan.pipeline.progress import Progress

    caplog.set_level("INFO", logger="vidgan")
    progress = Progress(100, "clip.mp4", quiet=False)
    progress.estimate(1.0, "cpu", "--model horse2zebra-fast (14x cheaper)")
    progress.close()
    said = caplog.text
    assert said.count("--model horse2zebra-fast") == 1 and "about 100 s on cpu" in said and "a GPU" in said


def test_folder_without_recursion_ignores_subfolders(tmp_path, tiny_model):
    clips = tmp_path / "clips"
    (clips / "sub").mkdir(parents=True)
    make_clip(clips / "a.mp4", 32, 32, frames=2)
    make_clip(clips / "sub" / "b.mp4", 32, 32, frames=2)
    result = invoke("translate", clips, "-m", tiny_model, "--quiet")
    assert result.exit_code == 0, result.output
    out = tmp_path / "clips_tiny"  # default: beside the input folder
    assert (out / "a_tiny.mp4").is_file() and not (out / "sub").exists()


def test_image_in_image_out_same_size(tmp_path, tiny_model):
    src = tmp_path / "grey.jpg"
    Image.fromarray(np.linspace(0, 255, 61 * 47).reshape(47, 61).astype(np.uint8), "L").save(src)
    result = invoke("translate", src, "-m", tiny_model, "-o", tmp_path / "out.jpg", "--quiet")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out.jpg") as im:
        assert im.size == (61, 47) and im.mode == "RGB"


def test_real_generator_on_the_sample_clip(tmp_path):
    """The paper's full 9-block generator (random weights) on a few frames of the shipped sample."""
    import torch

    from vidgan.models.checkpoints import save_generator
    from vidgan.models.nets import ResnetGenerator

    torch.manual_seed(0)
    model = save_generator(ResnetGenerator(), tmp_path / "paper.safetensors")
    result = invoke("translate", ROOT / "samples" / "horse.mp4", "-m", model, "-o", tmp_path / "out.mp4",
                    "--duration", "0.4", "--size", "128", "--quiet")  # fmt: skip
    assert result.exit_code == 0, result.output
    frames, times = read_video(tmp_path / "out.mp4")
    assert len(frames) == 3 and frames[0].shape == (250, 326, 3)


def test_help_texts():
    for command in (["--help"], ["translate", "--help"], ["models", "--help"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0 and "Usage" in result.output


def test_wheel_holds_every_module_and_the_shipped_models(tmp_path):
    """A plain (non-editable) install must carry every module of vidgan/ and checkpoints/ as vidgan.shipped:
    an import that works only from the checkout fails here."""
    # Built from a copy: a build/ folder left in the checkout by an earlier build would hide a missing module.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__", "docs"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(source)], check=True, capture_output=True,
    )  # fmt: skip
    wheel = next(tmp_path.glob("vidgan-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "vidgan").rglob("*.py")}
    assert modules - names == set()
    shipped = {f"vidgan/shipped/{p.name}" for p in (ROOT / "checkpoints").iterdir()
               if p.suffix in (".safetensors", ".json", ".py")}  # fmt: skip
    assert "vidgan/shipped/__init__.py" in shipped and shipped - names == set()


def test_folder_summary_fits_the_terminal_and_gives_errors_in_full(tmp_path, tiny_model, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    clips = tmp_path / "clips"
    clips.mkdir()
    make_clip(clips / "a.mp4", 32, 32, frames=2)
    long_name = "a_clip_with_a_long_name_" + "x" * 60 + ".mp4"
    (clips / long_name).write_bytes(b"not a video at all" * 10)
    result = invoke("translate", clips, "-o", tmp_path / "out", "-m", tiny_model, "--quiet")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    table = lines[: lines.index(next(line for line in lines if str(clips) in line))]
    assert len(table) == 3 and all(len(line) <= 80 for line in table), table
    assert any(line.startswith(f"cannot read {clips / long_name}") for line in lines)  # the reason, in full
    assert "1 translated, 0 skipped, 1 failed" in result.output


def test_interrupted_folder_leaves_no_empty_output_folder(tmp_path):
    from clips import Invert

    from vidgan import TranslateOptions
    from vidgan.api import translate

    class Interrupt(Invert):
        def forward(self, x):
            raise KeyboardInterrupt

    clips = tmp_path / "clips"
    (clips / "sub").mkdir(parents=True)
    make_clip(clips / "sub" / "a.mp4", 32, 32, frames=2)
    with pytest.raises(KeyboardInterrupt):
        translate(clips, tmp_path / "out", Interrupt(), TranslateOptions(quiet=True), recursive=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clips"]


def test_quiet_means_errors_only(tmp_path, tiny_model):
    clip = make_clip(tmp_path / "c.mp4", 32, 32, frames=2)
    result = invoke("translate", clip, "-m", tiny_model, "-o", tmp_path / "o.mp4", "-q")
    assert result.exit_code == 0 and result.output == ""
    clips = tmp_path / "clips"
    clips.mkdir()
    make_clip(clips / "a.mp4", 32, 32, frames=2)
    result = invoke("translate", clips, "-m", tiny_model, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0 and result.output == "" and (tmp_path / "out" / "a_tiny.mp4").is_file()


def test_a_run_over_half_a_minute_says_so_up_front(caplog):
    from vidgan.pipeline.progress import Progress

    caplog.set_level("INFO", logger="vidgan")
    Progress(100, "clip", quiet=False).estimate(0.2, "cpu")  # 20 s: no note
    assert "will take" not in caplog.text
    Progress(100, "clip", quiet=False).estimate(0.5, "cpu")  # 50 s
    assert "this will take about 50 s on cpu (100 frames x 0.50 s/frame)" in caplog.text
