"""Schedules that add up across runs: --stop-after, --resume, compact states and --continue, and what a
short run tells its user."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from clips import inverter_config, write_inverted_pair

from vidgan import VidganError
from vidgan.cli import main
from vidgan.models.checkpoints import load_generator_file
from vidgan.models.registry import list_models
from vidgan.train.export import export_run
from vidgan.train.runs import open_run
from vidgan.train.state import read_compact


@pytest.fixture
def pair(tmp_path):
    return write_inverted_pair(tmp_path)


def inversion_error(generator, images: np.ndarray) -> float:
    """Mean error against the exact colour negative, over that of doing nothing."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        y = generator.eval()(x)
    return float((y + x).abs().mean() / (2 * x).abs().mean())


def test_three_runs_through_compact_states_end_where_one_run_does(tmp_path, pair, trained_inverter):
    """The tiny inverter's 200-step schedule as one run (the session's fixture) and as three runs that pass
    on only a compact state (int8 networks, no optimiser moments, no pools): within 0.05 of the same error
    (measured: 0.301 and 0.313 for seed 0; 0.305 and 0.302 for seed 1)."""
    one, held_out = trained_inverter
    trainer = open_run(inverter_config(*pair, tmp_path / "runs0"), quiet=True)
    for k, until in enumerate((66, 133)):
        trainer.save_compact = tmp_path / f"state{k}"
        trainer.run(until=until)
        assert trainer.images_seen == until and not trainer.complete
        trainer = open_run(None, continue_from=tmp_path / f"state{k}", quiet=True,
                           overrides={"runs_dir": str(tmp_path / f"runs{k + 1}")})  # fmt: skip
        assert trainer.images_seen == until and trainer.d_warmup == trainer.config.restart_d_steps
    trainer.run()
    assert trainer.complete and trainer.images_seen == 200
    assert len(trainer.runs) == 3 and [r["images"] for r in trainer.runs] == [66, 67, 67]
    three = inversion_error(trainer.nets["G_A"], held_out)
    assert three <= 0.5 and abs(three - inversion_error(one, held_out)) <= 0.05


def test_compact_state_is_small_and_complete(tmp_path, pair):
    trainer = open_run(inverter_config(*pair, tmp_path / "runs", iterations=4), quiet=True,
                       save_compact=tmp_path / "state")  # fmt: skip
    trainer.run()
    files = sorted(p.name for p in (tmp_path / "state").iterdir())
    assert files == ["discriminators.safetensors", "inv-reverse.json", "inv-reverse.safetensors", "inv.json",
                     "inv.safetensors", "progress.json"]  # fmt: skip
    state = read_compact(tmp_path / "state")
    assert state["images_seen"] == 4 and state["schedule_images"] == 4 and len(state["runs"]) == 1
    for name, net in trainer.nets.items():
        for key, value in net.state_dict().items():
            scale = value.abs().max().item() or 1.0
            assert (state["nets"][name][key] - value).abs().max().item() <= scale / 127, f"{name}.{key}"
    card = json.loads((tmp_path / "state" / "inv.json").read_text())
    assert card["precision"] == "int8" and card["int8_psnr_vs_fp16_db"] >= 38


def test_continue_takes_only_where_and_how_fast(tmp_path, pair):
    trainer = open_run(inverter_config(*pair, tmp_path / "runs", iterations=2), quiet=True,
                       save_compact=tmp_path / "state")  # fmt: skip
    trainer.run()
    result = CliRunner().invoke(main, ["train", "--continue", str(tmp_path / "state"), "--lr", "0.1"])
    assert result.exit_code == 2 and "--continue keeps the state's recipe" in result.output
    with pytest.raises(VidganError, match="not a compact training state"):
        open_run(None, continue_from=tmp_path)


def test_amend_changes_what_is_trained_from_there_on_and_the_history_says_so(tmp_path, pair):
    trainer = open_run(inverter_config(*pair, tmp_path / "runs", iterations=4), quiet=True,
                       save_compact=tmp_path / "state")  # fmt: skip
    trainer.run(until=2)
    state = str(tmp_path / "state")
    for args, message in (
        ([], "it goes with --continue"),
        (["--continue", state, "--ngf", "8"], "--ngf"),
        (["--continue", state, "--images", "8"], "cannot change the networks or the schedule"),
    ):
        result = CliRunner().invoke(main, ["train", "--amend", "--lambda-cycle", "5", *args])
        assert result.exit_code == 2 and message in result.output, result.output
    again = open_run(None, continue_from=tmp_path / "state", quiet=True, save_compact=tmp_path / "state2",
                     overrides={"runs_dir": str(tmp_path / "r2"), "lambda_cycle": 5.0, "lr": 2e-4})  # fmt: skip
    assert again.config.lambda_cycle == 5.0 and again.amended == {"lambda_cycle": [10.0, 5.0]}
    assert again.images_seen == 2 and again.schedule_images == 4  # the same schedule, its count carried on
    again.run()
    saved = read_compact(tmp_path / "state2")
    assert saved["config"]["lambda_cycle"] == 5.0 and "amended" not in saved["runs"][0]
    assert saved["runs"][1]["amended"] == {"lambda_cycle": [10.0, 5.0]} and saved["images_seen"] == 4


def test_stop_after_then_resume_goes_on_and_a_finished_run_says_so(tmp_path, pair, user_folder):
    a, b = pair
    args = ["train", "--a", str(a), "--b", str(b), "--name", "inv", "--runs-dir", str(tmp_path / "runs"),
            "--iterations", "2000", "--load-size", "36", "--crop-size", "32", "--ngf", "4", "--n-blocks", "1",
            "--ndf", "4", "--sample-every", "0", "--stop-after", "2s"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "continue with `vidgan train --resume" in result.output
    state = torch.load(tmp_path / "runs" / "inv" / "state.pt", weights_only=True)
    assert 0 < state["images_seen"] < 2000 and state["schedule_images"] == 2000
    card = json.loads((user_folder / "inv.json").read_text())
    assert card["training"]["undertrained"] and card["training"]["images_seen"] == state["images_seen"]
    assert any(name == "inv" and "undertrained:" in text for name, _, text in list_models())

    result = CliRunner().invoke(main, ["train", "--resume", str(tmp_path / "runs" / "inv"), "--stop-after", "1s"])
    assert result.exit_code == 0, result.output
    again = torch.load(tmp_path / "runs" / "inv" / "state.pt", weights_only=True)
    assert again["images_seen"] > state["images_seen"] and len(again["runs"]) == 2

    done = open_run(inverter_config(a, b, tmp_path / "runs", name="short", iterations=2), quiet=True)
    done.run()
    result = CliRunner().invoke(main, ["train", "--resume", str(tmp_path / "runs" / "short")])
    assert result.exit_code == 1 and "is complete (2 of 2 images): nothing to train" in result.output


def test_a_short_cpu_run_says_what_it_will_reach(tmp_path, pair):
    """Stopped early, a run says what it will reach of its schedule (200 epochs of 32 images) and warns; a
    run fitted to a budget says what the budget fits, and its end gives that same total."""
    a, b = pair
    args = ["train", "--a", str(a), "--b", str(b), "--runs-dir", str(tmp_path / "runs"), "--load-size", "36",
            "--crop-size", "32", "--ngf", "4", "--n-blocks", "1", "--ndf", "4", "--sample-every", "0",
            "--no-export"]  # fmt: skip
    result = CliRunner().invoke(main, [*args, "--name", "stopped", "--stop-after", "3s"])
    assert result.exit_code == 0, result.output
    assert "note: cpu trains about" in result.output and "of the schedule's 6,400 images" in result.output
    assert "warning: far below the schedule" in result.output and "a GPU trains the paper's networks" in result.output
    result = CliRunner().invoke(main, [*args, "--name", "budget", "--time-budget", "3s"])
    assert result.exit_code == 0, result.output
    fits = re.search(r"the 3 s budget fits a schedule of about ([\d,]+) images", result.output)
    done = re.search(r"trained to ([\d,]+) of ([\d,]+) images", result.output)
    assert fits and done and done.group(1) == done.group(2) and "undertrained" not in result.output


def test_plot_losses_on_a_missing_run_says_so(tmp_path):
    result = CliRunner().invoke(main, ["plot-losses", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "no training run at" in result.output


def _close(a: dict, b: dict, tolerance: float) -> bool:
    """State dicts equal within `tolerance` of each tensor's largest magnitude (int8 keeps 1/127 of it)."""
    return all((a[k] - v).abs().max().item() <= tolerance * (v.abs().max().item() or 1.0) for k, v in b.items())


def test_the_weight_average_is_exported_and_travels_in_compact_states(tmp_path, pair):
    """With `ema`, each generator step moves the average a (1 - ema) step towards the weights; exports and a
    compact state's models are the average, the weights trained on travel beside it and go on training."""
    trainer = open_run(inverter_config(*pair, tmp_path / "runs", iterations=3, ema=0.5), quiet=True)
    expected = {k: v.clone() for k, v in trainer.nets["G_A"].state_dict().items()}
    trainer.start_schedules()
    for _ in range(3):
        trainer.train_step()
        expected = {k: 0.5 * expected[k] + 0.5 * v for k, v in trainer.nets["G_A"].state_dict().items()}
    average = trainer.average.nets["G_A"].state_dict()
    assert _close(average, expected, 1e-6) and not _close(average, trainer.nets["G_A"].state_dict(), 1e-2)

    trainer.save_compact = tmp_path / "state"
    trainer.save()
    assert (tmp_path / "state" / "training-generators.safetensors").is_file()
    card = json.loads((tmp_path / "state" / "inv.json").read_text())
    assert card["training"]["weights"] == "moving average, decay 0.5 per step"
    exported = export_run(tmp_path / "runs" / "inv", tmp_path / "out")[0]
    assert _close(load_generator_file(exported).generator.state_dict(), average, 1e-3)

    state = read_compact(tmp_path / "state")
    assert _close(state["ema"]["G_A"], average, 1 / 127) and _close(
        state["nets"]["G_A"], trainer.nets["G_A"].state_dict(), 1 / 127
    )
    again = open_run(None, continue_from=tmp_path / "state", quiet=True, overrides={"runs_dir": str(tmp_path / "r2")})
    assert _close(again.average.nets["G_A"].state_dict(), state["ema"]["G_A"], 1e-6)
    assert _close(again.nets["G_A"].state_dict(), state["nets"]["G_A"], 1e-6)


def test_an_average_begins_where_a_state_without_one_is_continued(tmp_path, pair):
    trainer = open_run(inverter_config(*pair, tmp_path / "runs", iterations=2), quiet=True,
                       save_compact=tmp_path / "state")  # fmt: skip
    trainer.run()
    assert "training_generators" not in json.loads((tmp_path / "state" / "progress.json").read_text())
    result = CliRunner().invoke(main, ["train", "--continue", str(tmp_path / "state"), "--ema", "1"])
    assert result.exit_code == 2 and "ema, the weight average" in result.output
    again = open_run(None, continue_from=tmp_path / "state", quiet=True,
                     overrides={"runs_dir": str(tmp_path / "r2"), "ema": 0.99})  # fmt: skip
    assert again.config.ema == 0.99 and _close(
        again.average.nets["G_B"].state_dict(), again.nets["G_B"].state_dict(), 0
    )
