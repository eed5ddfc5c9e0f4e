"""pipelines/cpu-run.sh, the background CPU run, with a tiny recipe: a first start from a distillation,
status, pause and resume, a stop that writes the compact state, and a start that continues it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from clips import tiny_recipe
from test_gpu_run import dataset
from waiting import wait_until

from vidgan.cli import main

ROOT = Path(__file__).resolve().parents[1]
RECIPE = {"name": "pix2neg-fast", "generator": "mobile", "restart_d_steps": 2, "restart_lr_ramp": 10, "save_every": 1.0}
TINY = tiny_recipe(**RECIPE)


def cpu_run(folder: Path, mode: str, *args: str, rc: int = 0, **env) -> str:
    """The script's output (stdout, then stderr), after checking it exited `rc`. The run at the tests' own
    priority (at nice 19 on a busy machine it would get next to no CPU), and `stop` waiting for the save up to
    the hang guard's time: nothing here depends on the machine's speed."""
    settings = {**os.environ, "STATE": str(folder / "state"), "RECIPE": str(folder / "tiny.toml"),
                "DATA": str(folder / "set"), "WORK": str(folder / "work"), "VIDGAN": f"{sys.executable} -m vidgan",
                "WAIT": "600", "NICE": "0", **env}  # fmt: skip
    done = subprocess.run(["bash", str(ROOT / "pipelines" / "cpu-run.sh"), mode, *args], env=settings,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == rc, done.stdout + done.stderr
    return done.stdout + done.stderr


def begin(folder: Path, recipe: str = TINY) -> str:
    """The recipe, the data, and a tiny distillation to begin the schedule from (its run folder, for INIT)."""
    (folder / "tiny.toml").write_text(recipe)
    dataset(folder / "set")
    distilled = CliRunner().invoke(main, [
        "distill", str(tiny_teacher(folder)), "--a", str(folder / "set"), "--name", "pix2neg-fast", "--runs-dir",
        str(folder / "runs"), "--ngf", "4", "--n-blocks", "1", "--load-size", "36", "--crop-size", "32",
        "--iterations", "3", "--sample-every", "0", "--no-export", "-q"])  # fmt: skip
    assert distilled.exit_code == 0, distilled.output
    return str(folder / "runs" / "pix2neg-fast")


def running(folder: Path) -> bool:
    pid = folder / "work" / "pid"
    return pid.is_file() and Path(f"/proc/{pid.read_text().strip()}").exists()


def wait_for_log(folder: Path, steps: int, runs: int) -> None:
    """Until the `runs`-th run has logged `steps` steps (failing at once if the run has ended)."""

    def logged() -> bool:
        logs = sorted((folder / "work" / "runs").rglob("log.jsonl"))  # run folders are named by their start
        lines = logs[-1].read_text().splitlines() if len(logs) == runs else []
        return bool(lines) and json.loads(lines[-1])["step"] >= steps

    wait_until(logged, f"{steps} steps of run {runs}", alive=lambda: running(folder) or logged())


def test_start_status_pause_stop_and_continue(tmp_path):
    init = begin(tmp_path)
    assert "no state" in cpu_run(tmp_path, "start", rc=1, STATE=str(tmp_path / "none"), WORK=str(tmp_path / "w0"))
    assert "started" in cpu_run(tmp_path, "start", INIT=init)
    assert "already running" in cpu_run(tmp_path, "start")
    wait_for_log(tmp_path, 3, runs=1)
    status = cpu_run(tmp_path, "status")
    assert "running" in status and "of 100,000 images" in status and "images/s lately" in status
    assert "paused" in cpu_run(tmp_path, "pause") and "paused" in cpu_run(tmp_path, "status")
    assert "resumed" in cpu_run(tmp_path, "resume")
    stopped = cpu_run(tmp_path, "stop")
    assert "commit it" in stopped
    state = tmp_path / "state"
    files = sorted(p.name for p in state.iterdir())
    assert files == ["discriminators.safetensors", "neg2pix-fast.json", "neg2pix-fast.safetensors", "pix2neg-fast.json",
                     "pix2neg-fast.safetensors", "progress.json"]  # fmt: skip
    first = json.loads((state / "progress.json").read_text())
    assert first["images_seen"] > 0 and first["config"]["generator"] == "mobile" and "not running" in cpu_run(
        tmp_path, "status")  # fmt: skip

    assert "continues" in cpu_run(tmp_path, "start", "--ema", "0.9")  # the next session, with a weight average
    wait_for_log(tmp_path, 2, runs=2)
    cpu_run(tmp_path, "stop")
    second = json.loads((state / "progress.json").read_text())
    assert second["images_seen"] > first["images_seen"] and len(second["runs"]) == 2
    assert second["config"]["ema"] == 0.9 and (state / second["training_generators"]).is_file()


def tiny_teacher(folder: Path) -> Path:
    import torch

    from vidgan.models.checkpoints import save_generator
    from vidgan.models.nets import GeneratorConfig, build_generator

    torch.manual_seed(0)
    return save_generator(build_generator(GeneratorConfig(ngf=4, n_blocks=1)), folder / "teacher.safetensors")


def per_image(score: float, shift: float, grid: float, n: int = 40, spill: float = 1.2, coat: float = 0.3,
              tinted: int = 0, sky: float = 0.1, outside: float = 1.5) -> dict:  # fmt: skip
    """Eval figures of n images with these totals and a spread among images: hits of a colour-blind score,
    shifts about a median (the `tinted` largest 10 more: the median as it was), grid shares over sources of
    share 0.01 (the grid ratio `grid`), stripes in a region of half the images (the others have none), on the
    vegetation gained `spill` times, outside the animals `outside` times, on the coats kept `coat` times; the
    open sky of half the images textured `sky` of it, on the mean."""
    rng = np.random.default_rng(int(score * 1000 + shift * 100 + grid * 10))
    hits = (np.arange(n) < round(score * n)).astype(int)
    shifts = shift + rng.normal(0, 0.5, n)
    shifts += shift - np.median(shifts)
    shifts[np.argsort(shifts)[n - tinted :]] += 10.0
    out = grid * 0.01 + rng.normal(0, 0.004, n)
    out += grid * 0.01 - out.mean()

    def textured(share: float) -> list:
        shares = np.clip(share + rng.normal(0, 0.05, n), 0, 1)
        shares[::2] += share - shares[::2].mean()  # exactly `share` over the counted half
        return [float(t) if i % 2 == 0 else None for i, t in enumerate(shares)]

    def region(ratio: float) -> list:
        source = rng.uniform(3, 5, n)
        translated = source * ratio + rng.normal(0, 0.1, n)
        translated *= ratio * source[::2].sum() / translated[::2].sum()  # exactly `ratio` over the counted half
        return [[t, g] if i % 2 == 0 else None for i, (t, g) in enumerate(zip(translated, source, strict=True))]

    return {
        "blind_judge": {"score": float(hits.mean()), "hits": hits.tolist()},
        "background_shift": float(np.median(shifts)),
        "image_shifts": shifts.tolist(),
        "texture": {"grid_ratio": grid, "image_grid_shares": [[o, 0.01] for o in out]},
        "spill": {"images": n // 2, "gained": spill, "image_stripes": region(spill)},
        "sky": {"images": n // 2, "textured": sky, "image_textured": textured(sky)},
        "coat": {"images": n // 2, "ratio": coat, "image_stripes": region(coat)},
        "outside": {"images": n // 2, "gained": outside, "image_stripes": region(outside)},
    }


def test_ship_takes_a_state_model_only_where_the_rule_says_it_is_better(tmp_path):
    """pipelines/ship.py: horse2zebra-fast ships on a higher colour-blind judge score with background shift and
    grid not higher beyond two paired standard errors (or on a background shift lower beyond them while the
    shipped one's misses its target, the score not lower beyond them), zebra2horse-fast once judged horse on
    0.7 of testB with no more background shift and stripes kept on the zebras (so paired); the card keeps the state's
    training record, takes the eval's figures, the speed of the shipped card of the same network, and the
    limitations given; a card whose eval kept no per-image figures is remeasured before anything is compared
    with it."""
    import importlib.util

    from clips import inverter_config, write_inverted_pair

    from vidgan.models.checkpoints import load_generator_file
    from vidgan.train.runs import open_run

    spec = importlib.util.spec_from_file_location("ship", ROOT / "pipelines" / "ship.py")
    ship = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ship)
    state = tmp_path / "state"
    trainer = open_run(inverter_config(*write_inverted_pair(tmp_path), tmp_path / "runs", name="horse2zebra-fast",
                                       iterations=2), quiet=True, save_compact=state)  # fmt: skip
    trainer.run()
    into, work = tmp_path / "checkpoints", tmp_path / "work"
    into.mkdir()
    state_card = json.loads((state / "horse2zebra-fast.json").read_text())
    old = {
        "architecture": state_card["architecture"],
        "name": "horse2zebra-fast",
        "speed": {"translate_speedup_fp32": 5.2, "relative_to": "horse2zebra"},
        "metrics": {
            "evaluated_on": "testA",
            "blind_judge": {"score": 0.6},
            "background_shift": 12.0,
            "texture": {"grid_ratio": 4.0},
        },  # fmt: skip
    }
    (into / "horse2zebra-fast.json").write_text(json.dumps(old))
    (into / "horse2zebra-fast.safetensors").write_bytes(b"")

    def judged(name: str, score: float, grid: float = 4.0, shift: float = 12.0, spill: float = 1.2,
               coat: float = 0.3, tinted: int = 0, sky: float = 0.1, outside: float = 1.5) -> bool:  # fmt: skip
        folder = work / ship.EVALS[name]
        folder.mkdir(parents=True, exist_ok=True)
        report = {"model": str(state / f"{name}.safetensors"), "a": "testA", "b": "testB", "judge_score": 0.9,
                  **per_image(score, shift, grid, spill=spill, coat=coat, tinted=tinted, sky=sky,
                              outside=outside)}  # fmt: skip
        (folder / "eval.json").write_text(json.dumps(report))
        return ship.ship(name, "stripes some horses", state=state, work=work, into=into)

    with pytest.raises(SystemExit, match="no per-image figures"):  # a card of before the per-image figures
        judged("horse2zebra-fast", 0.9)
    shipped_eval = tmp_path / "shipped-eval"
    shipped_eval.mkdir()
    report = {"model": str(into / "horse2zebra-fast.safetensors"), "a": "testA", **per_image(0.6, 12.0, 4.0)}
    (shipped_eval / "eval.json").write_text(json.dumps(report))
    ship.remeasure("horse2zebra-fast", shipped_eval, into)
    remeasured = json.loads((into / "horse2zebra-fast.json").read_text())
    assert remeasured["metrics"]["evaluated_on"] == "testA" and len(remeasured["metrics"]["image_shifts"]) == 40
    with pytest.raises(SystemExit, match="no eval.json"):
        ship.remeasure("horse2zebra-fast", tmp_path / "nosuch", into)
    with pytest.raises(SystemExit, match="not .*zebra2horse-fast"):  # an eval of another model
        ship.remeasure("zebra2horse-fast", shipped_eval, into)

    assert not judged("horse2zebra-fast", 0.55)  # the score down
    assert not judged("horse2zebra-fast", 0.7, grid=6.0)  # the grid up by 2.0, errors of about 0.1
    assert not judged("horse2zebra-fast", 0.7, shift=13.5)
    assert not judged("horse2zebra-fast", 0.7, grid=4.1, shift=12.1, spill=1.5)  # more stripes on the grass
    assert not judged("horse2zebra-fast", 0.7, grid=4.1, shift=12.1, sky=0.2)  # more of the open sky textured
    assert not judged("horse2zebra-fast", 0.7, grid=4.1, shift=12.1, outside=1.9)  # stripes on dunes, roads, trunks
    assert not (into / "horse2zebra-fast.safetensors").stat().st_size  # nothing shipped yet
    assert judged("horse2zebra-fast", 0.7, grid=4.1, shift=12.1)  # higher within the test set's luck
    card = json.loads((into / "horse2zebra-fast.json").read_text())
    assert card["metrics"]["blind_judge"]["score"] == 0.7 and card["speed"] == old["speed"]
    assert card["limitations"] == "stripes some horses" and card["training"] == state_card["training"]
    assert re.search(r"trained from a distilled pair on \d+ CPU cores \(", card["description"])  # its one run's
    assert card["data"]["a"] == "horse2zebra trainA" and str(tmp_path) not in json.dumps(card)  # no machine paths
    assert ship.trained_on([{"device": "CPU AMD EPYC, 2 cores, torch"}, {"device": "NVIDIA H200"},
                            {"device": "CPU AMD EPYC, 2 cores"}]) == "2 CPU cores and an NVIDIA H200"  # fmt: skip
    assert load_generator_file(into / "horse2zebra-fast.safetensors").card["name"] == "horse2zebra-fast"
    # the shipped one's background shift (12.1) misses its target: a fall beyond luck is a gain, the score
    # kept within luck (one image of 40 fewer), not where the score falls beyond it
    assert not judged("horse2zebra-fast", 0.5, shift=1.0)
    assert judged("horse2zebra-fast", 0.675, shift=1.0)
    assert not judged("horse2zebra-fast", 0.65, shift=0.2)  # the target met: a lower shift gains nothing
    assert not judged("zebra2horse-fast", 0.65) and judged("zebra2horse-fast", 0.8)
    later = (work / "eval-b" / "eval.json").stat().st_mtime + 60  # the state written again after its eval
    os.utime(state / "zebra2horse-fast.safetensors", (later, later))
    with pytest.raises(SystemExit, match="changed after"):
        ship.ship("zebra2horse-fast", "", state=state, work=work, into=into)
    os.utime(state / "zebra2horse-fast.safetensors", (later - 120, later - 120))
    assert not judged("zebra2horse-fast", 0.9, shift=13.5) and not judged("zebra2horse-fast", 0.75)
    assert not judged("zebra2horse-fast", 0.9, coat=0.45)  # fainter-looking, but more of the zebras' stripes kept
    assert not judged("zebra2horse-fast", 0.9, tinted=10)  # a quarter of the pictures recoloured: the median as it was
    assert judged("zebra2horse-fast", 0.9)
    speed = json.loads((into / "zebra2horse-fast.json").read_text())["speed"]  # the same network's, said so
    assert speed == {**old["speed"], "relative_to": "the paper-sized generator",
                     "measured_with": "horse2zebra-fast against horse2zebra"}  # fmt: skip


def test_a_complete_schedule_is_not_started_again_and_says_how_to_begin_the_next(tmp_path):
    cpu_run(
        tmp_path,
        "start",
        INIT=begin(
            tmp_path,
            tiny_recipe(
                name="pix2neg-fast", generator="mobile", restart_d_steps=2, restart_lr_ramp=10, save_every=1.0, images=4
            ),
        ),
    )
    wait_until(lambda: not running(tmp_path), "the 4-image schedule to end")
    cpu_run(tmp_path, "stop")
    assert json.loads((tmp_path / "state" / "progress.json").read_text())["images_seen"] == 4
    again = cpu_run(tmp_path, "start", rc=1)
    assert "is complete (4 of 4 images)" in again and "INIT=" in again


def test_bakeoff_table_pairs_each_variant_with_the_control(tmp_path, capsys):
    """pipelines/bakeoff_table.py: a row per variant with the errors its evals carry, and below, each variant's
    differences from the control on the same images (score, shift, grid ratio) computed from the per-image
    figures, with their paired errors; a variant evaluated before the per-image grid shares is not paired."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bakeoff_table", ROOT / "pipelines" / "bakeoff_table.py")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)

    def variant(name: str, hits: list[int], shifts: list[float], grid_out: list[float] | None,
                spill: list | None = None, progress: dict | None = None) -> None:  # fmt: skip
        (tmp_path / name / "compact").mkdir(parents=True)
        (tmp_path / name / "compact" / "progress.json").write_text(
            json.dumps(progress or {"train_seconds": 1800, "images_seen": 3000})
        )
        texture = {"grid_ratio": 2.0, "grid_ratio_se": 0.5}
        greyed = {"greyed_score": 0.5, "greyed_score_se": 0.05} if grid_out is not None else {}
        if grid_out is not None:
            texture["image_grid_shares"] = [[out, 0.01] for out in grid_out]
        for d in "ab":
            (tmp_path / name / f"eval-{d}").mkdir()
            report = {"judge_score": 0.9, "background_shift": float(np.median(shifts)), "background_shift_se": 0.1,
                      "blind_judge": {"score": float(np.mean(hits)), "score_se": 0.04, "hits": hits,
                                      **greyed},
                      "image_shifts": shifts, "target_kept": {"lab_distance": 1.0}, "texture": texture,
                      "stripes": {"translated": 9.0, "target_real": 8.0, "changed_share": 0.2}}  # fmt: skip
            if spill is not None:  # the same energies stand for the vegetation's (gained) and the coats' (kept)
                ratio = sum(t for t, _ in filter(None, spill)) / sum(g for _, g in filter(None, spill))
                report["spill"] = {"images": 3, "gained": ratio, "gained_se": 0.1, "image_stripes": spill}
                report["coat"] = {"images": 3, "ratio": ratio, "ratio_se": 0.1, "image_stripes": spill}
                if d == "a":  # testA's animals are boxed (cpu-run.sh eval --animals)
                    report["outside"] = {"images": 3, "gained": ratio, "gained_se": 0.1, "image_stripes": spill}
                textured = [None if pair is None else pair[0] / 40 for pair in spill]  # 4 px: 0.1 of the sky
                report["sky"] = {"images": 3, "textured": sum(filter(None, textured)) / 3, "textured_se": 0.05,
                                 "image_textured": textured}  # fmt: skip
            (tmp_path / name / f"eval-{d}" / "eval.json").write_text(json.dumps(report))

    variant("control", [1, 0, 1, 0], [1.0, 2.0, 3.0, 4.0], [0.02, 0.03, 0.05, 0.02], [[4, 4], [4, 4], None, [8, 4]])
    variant("better", [1, 1, 1, 0], [0.5, 1.0, 1.5, 2.0], [0.01, 0.02, 0.02, 0.01], [[4, 4], [4, 4], None, [4, 4]])
    variant("older", [1, 1, 1, 1], [0.5, 1.0, 1.5, 2.0], None)
    stops = {"averaged_stops": [{"stop": "abc1234", "images_seen": 2000}, {"stop": "def5678", "images_seen": 4000}]}
    variant("mean", [1, 1, 1, 0], [0.5, 1.0, 1.5, 2.0], [0.01, 0.02, 0.02, 0.01], progress=stops)
    table.main(tmp_path, ["control", "better", "older", "mean"])
    out = capsys.readouterr().out
    assert "| mean |  | mean of 2, 2,000 to 4,000 | 0.900 | 0.750 ±0.040 |" in out  # average_states.py's
    assert (
        "| better | 30 | 3,000 | 0.900 | 0.750 ±0.040 | 0.500 ±0.050 | 1.25 ±0.10 | 1.00 | 2.00 ±0.50 | 1.00 ±0.10 | "
        "0.10 ±0.05 | 1.00 ±0.10 | 9.00 (8.00) |" in out
    )
    assert (
        "| control | 30 | 3,000 | 0.900 | 0.500 ±0.040 | 0.500 ±0.050 | 2.50 ±0.10 | 1.00 | 2.00 ±0.50 | 1.33 ±0.10 |"
        in out
    )
    assert "| older | 30 | 3,000 | 0.900 | 1.000 ±0.040 |  | 1.25 ±0.10 |" in out  # before the greyed score
    # score 0.75 - 0.5; median shift 1.25 - 2.5; grid (0.015 - 0.03) / 0.01 = -1.5
    better = next(line for line in out.splitlines() if line.startswith("- better against control"))
    assert "h2z colour-blind +0.250 ±" in better and "background shift -1.25 ±" in better
    assert "grid -1.50 ±" in better and "stripes on grass -0.33 ±" in better  # (12 - 16) / 12, over the 3 with grass
    assert better.count("stripes on grass") == 2 and better.count("stripes on the coats -0.33 ±") == 1  # z2h's
    assert better.count("sky textured -0.03 ±") == 2  # (0.1 + 0.1 + 0.1 - 0.1 - 0.1 - 0.2) / 3
    assert better.count("stripes outside the animals -0.33 ±") == 1  # h2z's alone
    assert "| 1.33 ±0.10 | 0.20 |" in out  # the control's zebra2horse: stripes kept on the coats, changed share
    older = next(line for line in out.splitlines() if line.startswith("- older against control"))
    assert "not paired" in older and "±" not in older


def test_average_states_writes_the_mean_of_the_stops_that_eval_and_ship_take_as_a_state(tmp_path):
    """pipelines/average_states.py: two stops' generators averaged weight by weight (fp16), the last stop's cards
    naming the stops, a progress.json that cpu-run.sh eval reads and the trainer refuses; a git revision's state
    fetched; one stop, an unknown one or another network: a one-line exit and nothing written."""
    import importlib.util

    import torch
    from clips import inverter_config, write_inverted_pair

    from vidgan.errors import VidganError
    from vidgan.models.checkpoints import load_generator_file
    from vidgan.train.runs import open_run
    from vidgan.train.state import read_compact

    spec = importlib.util.spec_from_file_location("average_states", ROOT / "pipelines" / "average_states.py")
    averaging = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(averaging)
    pair = write_inverted_pair(tmp_path)
    stops = []
    for seed, ngf in ((0, 8), (1, 8), (0, 4)):  # the third another network
        stops.append(tmp_path / f"stop-{seed}-{ngf}")
        config = inverter_config(*pair, tmp_path / f"runs-{seed}-{ngf}", name="horse2zebra-fast", iterations=2,
                                 seed=seed, ngf=ngf)  # fmt: skip
        trainer = open_run(config, quiet=True, save_compact=stops[-1])
        trainer.run()
    out = tmp_path / "mean"
    averaging.main([str(out), str(stops[0]), str(stops[1])])
    for name in ("horse2zebra-fast", "zebra2horse-fast"):
        mean = load_generator_file(out / f"{name}.safetensors")
        two = [load_generator_file(stop / f"{name}.safetensors").generator.state_dict() for stop in stops[:2]]
        for key, value in mean.generator.state_dict().items():
            assert torch.allclose(value, (two[0][key] + two[1][key]) / 2, atol=2e-3, rtol=1e-3), key
        training = mean.card["training"]
        assert [s["stop"] for s in training["averaged_stops"]] == [str(stops[0]), str(stops[1])]
        assert training["weights"].startswith("the mean of the moving averages at 2 stops")
    progress = json.loads((out / "progress.json").read_text())
    assert progress["generators"] == {"G_A": "horse2zebra-fast.safetensors", "G_B": "zebra2horse-fast.safetensors"}
    with pytest.raises(VidganError, match="not a version-1 compact training state"):
        read_compact(out)

    fetched = averaging.fetch("HEAD", tmp_path / "head")  # the schedule's state as committed
    names = json.loads((fetched / "progress.json").read_text())["generators"].values()
    assert all(load_generator_file(fetched / name).generator for name in names)

    for stops_given, message in (([stops[0]], "two stops or more"), ([stops[0], "no-such-rev"], "neither a folder"),
                                 ([stops[0], stops[2]], "different networks")):  # fmt: skip
        with pytest.raises(SystemExit, match=message):
            averaging.main([str(tmp_path / "refused"), *map(str, stops_given)])
        assert not (tmp_path / "refused").exists()
