"""The trainer: losses, pool, schedule, data, resume, export, learning, the CLI, and DDP on the CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from clips import write_inverted_pair
from PIL import Image
from waiting import HANG_GUARD

from vidgan import VidganError
from vidgan.cli import main
from vidgan.errors import UsageError
from vidgan.models.checkpoints import load_generator_file
from vidgan.models.registry import find_model, load_model
from vidgan.train.config import TrainConfig, load_recipe
from vidgan.train.data import PairSampler, load_domain
from vidgan.train.export import export_run, int8_fidelity
from vidgan.train.losses import gan_loss
from vidgan.train.pool import ImagePool
from vidgan.train.runs import open_run
from vidgan.train.schedule import BudgetFitter, lr_factor
from vidgan.units import parse_seconds

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def inverted_pair(tmp_path) -> tuple[Path, Path]:
    return write_inverted_pair(tmp_path)


def tiny(a: Path, b: Path, tmp_path: Path, **kw) -> TrainConfig:
    values = dict(a=str(a), b=str(b), name="inv", runs_dir=str(tmp_path / "runs"), load_size=64, crop_size=64,
                  ngf=16, n_blocks=3, ndf=16, identity=0.0, iterations=8, sample_every=0, log_every=4,
                  save_every=1e9)  # fmt: skip
    values.update(kw)
    return TrainConfig(**values)


# ------------------------------------------------------------------------------------------ pieces


def test_gan_losses():
    pred = torch.tensor([[0.5, 1.5]])
    assert gan_loss(pred, True).item() == pytest.approx((0.25 + 0.25) / 2)  # (D - 1)^2
    assert gan_loss(pred, False).item() == pytest.approx((0.25 + 2.25) / 2)  # D^2
    assert gan_loss(torch.zeros(3), True, "vanilla").item() == pytest.approx(np.log(2))


def test_image_pool():
    assert torch.equal(ImagePool(0).query(torch.ones(2, 3, 4, 4)), torch.ones(2, 3, 4, 4))
    pool = ImagePool(4, seed=0)
    first = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 3, 2, 2)
    assert torch.equal(pool.query(first), first)  # filling: the images themselves
    returned = torch.cat([pool.query(torch.full((1, 3, 2, 2), 10.0 + i)) for i in range(40)])
    olds = (returned[:, 0, 0, 0] < 10).sum().item()
    assert 0 < olds <= 4  # some old images came back, each at most once (it was replaced)
    twin = ImagePool(4, seed=0)
    twin.load_state_dict(pool.state_dict(), torch.device("cpu"))
    x = torch.full((3, 3, 2, 2), 99.0)
    assert torch.equal(pool.query(x), twin.query(x))


def test_lr_schedule_constant_then_linear_to_zero():
    assert lr_factor(0, 100) == 1.0 and lr_factor(49, 100) == 1.0
    assert lr_factor(75, 100) == pytest.approx(0.5)
    assert lr_factor(100, 100) == 0.0


def test_time_budget_fits_the_whole_schedule():
    """Simulated clock: slow warm-up (compilation), then 0.1 s per step of 4 images; budget 100 s."""
    fitter = BudgetFitter(budget=100.0, reserve=5.0)
    t, images, factors = 3.0, 0, []  # 3 s of start-up before the first step
    while fitter.total is None or images < fitter.total:
        t += 2.0 if images < 20 else 0.1
        images += 4
        total = fitter.update(images, t)
        factors.append(lr_factor(images, total) if total else 1.0)
        assert not fitter.out_of_time(t)
    assert 94.0 <= t <= 95.1  # ends at the budget less the reserve
    assert factors[-1] == 0.0 and factors[len(factors) // 2 - 5] == 1.0  # decayed fully, from the middle
    assert parse_seconds("9m") == 540 and parse_seconds("1h30m") == 5400 and parse_seconds("90") == 90


class StepClock:
    """A clock for the trainer that moves only when a step is taken (`tick`): runs are timed in steps, not
    in the machine's seconds, so a busy or slow machine gives the same figures."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_time_budget_with_slow_steps_is_kept_and_estimated_early(tmp_path, caplog, monkeypatch):
    """Steps of 0.6 s by the trainer's clock (a paper-sized pair on a CPU takes seconds), 2 s of set-up: the
    run ends within its 8 s budget, says early (after 1.5 s of steps) what the budget fits, and every total
    it gives afterwards is that one schedule: the log's last line, the state, the card's."""
    from clips import inverter_config, write_inverted_pair

    from vidgan.train import report, runs
    from vidgan.train.export import load_run_state
    from vidgan.train.progress import describe

    a, b = write_inverted_pair(tmp_path / "data", count=8)
    monkeypatch.setattr(report, "ESTIMATE_WITHIN", 1.5)
    caplog.set_level("INFO", logger="vidgan")
    clock = StepClock()
    trainer = runs.open_run(inverter_config(a, b, tmp_path / "runs", iterations=None, time_budget=8.0), clock=clock)
    clock.now = 2.0  # loading and set-up
    real_step = trainer.train_step

    def slow_step():
        clock.now += 0.6
        return real_step()

    monkeypatch.setattr(trainer, "train_step", slow_step)
    monkeypatch.setattr(trainer.fitter, "warmup_seconds", 1.0)
    trainer.run()
    assert clock.now - trainer.created <= 8.0 - trainer.fitter.reserve
    note = next(r.getMessage() for r in caplog.records if "trains about" in r.getMessage())
    assert "trains about 1.7 images/s: the 8 s budget fits a schedule of about" in note, note
    assert trainer.schedule_images == trainer.images_seen == trainer.step == 8  # 2 + 8 x 0.6 s; a 9th: 7.4 > 7.2
    state = load_run_state(trainer.run_dir)
    assert state["schedule_images"] == state["aim_images"] == 8
    assert "8 of 8 images (100.0%)" in describe(trainer.run_dir)


def test_the_rate_is_said_with_two_digits():
    from vidgan.train.report import rate_text

    assert [rate_text(r) for r in (0.0123, 0.98, 6.14, 12.4)] == ["0.012", "0.98", "6.1", "12"]


def test_data_folders(tmp_path):
    root = tmp_path / "set"
    (root / "trainA").mkdir(parents=True)
    Image.fromarray(np.zeros((40, 30), np.uint8), "L").save(root / "trainA" / "grey.jpg")
    Image.fromarray(np.zeros((50, 50, 4), np.uint8), "RGBA").save(root / "trainA" / "alpha.png")
    (root / "trainA" / "broken.jpg").write_bytes(b"no jpeg")
    config = TrainConfig(load_size=36, crop_size=32)
    domain = load_domain(root, "A", config, quiet=True)
    assert len(domain) == 2 and domain.skipped == 1
    assert all(im.shape == (3, 36, 36) and im.dtype == torch.uint8 for im in domain.images)
    own_b = TrainConfig(load_size=36, load_size_b=48, crop_size=32)  # domain B resized to its own size
    assert load_domain(root, "A", own_b, quiet=True).images[0].shape == (3, 36, 36)
    assert load_domain(root, "B", own_b, quiet=True).images[0].shape == (3, 48, 48)  # no trainB: the folder
    with pytest.raises(UsageError, match="load size 24 is smaller than the crop 32"):
        TrainConfig(load_size=36, load_size_b=24, crop_size=32).validate()
    with pytest.raises(VidganError, match="smaller than the 32 px crop"):
        load_domain(root, "A", TrainConfig(preprocess="crop", crop_size=32), quiet=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(VidganError, match="no readable images"):
        load_domain(tmp_path / "empty", "B", config, quiet=True)
    with pytest.raises(VidganError, match="not found"):
        load_domain(tmp_path / "missing", "B", config, quiet=True)


def test_video_clips_as_a_domain(tmp_path):
    from clips import make_clip

    folder = tmp_path / "clips"
    folder.mkdir()
    make_clip(folder / "one.mp4", 80, 48, frames=20)
    domain = load_domain(folder, "A", TrainConfig(load_size=36, crop_size=32, frames_per_clip=5), quiet=True)
    assert len(domain) == 5 and domain.images[0].shape == (3, 36, 36)


def test_sampler_is_a_function_of_the_images_seen():
    config = TrainConfig(batch_size=2, crop_size=8, seed=3)
    s1, s2 = PairSampler(10, 7, config), PairSampler(10, 7, config)
    seen = [i for start in range(0, 10, 2) for i in s1.indices(s1.positions(start))[0]]
    assert sorted(seen) == list(range(10))  # one epoch: every A image once
    assert [a.tolist() for a in s1.indices(np.arange(26, 30))] == [a.tolist() for a in s2.indices(np.arange(26, 30))]
    ranks = [PairSampler(10, 7, config, rank=r, world=2).positions(0) for r in range(2)]
    assert not set(ranks[0]) & set(ranks[1])  # each rank its own slice
    # Crops and flips belong to the image position, not to the batch it falls in: one batch of 8 or two of 4.
    sizes = np.full(8, 20)
    whole = s1.crops(np.arange(8), 0, sizes, sizes)
    halves = [s1.crops(np.arange(i, i + 4), 0, sizes[:4], sizes[:4]) for i in (0, 4)]
    for field in ("y", "x", "flip"):
        assert np.array_equal(getattr(whole, field), np.concatenate([getattr(h, field) for h in halves]))
    assert whole.flip.any() and not whole.flip.all() and len(set(whole.y)) > 1


def test_batches_cut_on_the_device_equal_the_cpu_path(tmp_path, inverted_pair):
    """Images of one size are cut in one gather where they live (the GPU in training); the per-image path
    for mixed sizes cuts the same pixels for the same crops and flips."""
    from vidgan.train.data import DomainBatches

    config = TrainConfig(load_size=36, crop_size=32, batch_size=8, seed=1)
    domain = load_domain(inverted_pair[0], "A", config, quiet=True)
    stacked, per_image = DomainBatches(domain, torch.device("cpu")), DomainBatches(domain, torch.device("cpu"))
    per_image.stack = None  # as for images of mixed sizes
    sampler = PairSampler(len(domain), len(domain), config)
    for seen in (0, 40):
        positions = sampler.positions(seen)
        idx = sampler.indices(positions)[0]
        crops = sampler.crops(positions, 0, stacked.heights[idx], stacked.widths[idx])
        assert crops.flip.any()
        assert torch.equal(stacked.batch(idx, crops, 32), per_image.batch(idx, crops, 32))


def test_d_a_judges_real_zebras_of_their_own_resize(tmp_path, inverted_pair):
    """load_size_real_b: each real image D_A judges is a window of the step's own B image resized for D_A
    (a search over every window and flip), not of F's resize; a step trains with it; D_A on masks refuses it."""
    from vidgan.models.nets import to_signed
    from vidgan.train.objectives import Seen

    a, b = inverted_pair
    trainer = open_run(tiny(a, b, tmp_path, load_size=36, load_size_real_b=48, crop_size=32, batch_size=4),
                       None, None, quiet=True)  # fmt: skip
    positions = trainer.batches.sampler.positions(0)
    idx = trainer.batches.sampler.indices(positions)[1]
    real_b = trainer.batches.reals(0)[1]
    judged = trainer.batches.judged(Seen(real_b, real_b, real_b, real_b), 0).real_b  # (4, 3, 32, 32)
    own = load_domain(b, "B", TrainConfig(load_size=48, crop_size=32), quiet=True).images
    for crop, i in zip(judged, idx):
        image = to_signed(own[i][None])[0]  # (3, 48, 48)
        windows = [w[:, y : y + 32, x : x + 32] for w in (image, image.flip(-1)) for y in range(17) for x in range(17)]
        assert any(torch.equal(crop, w) for w in windows)
    assert not any(torch.equal(judged[k], real_b[k]) for k in range(4))  # F's batch is the 36-px resize
    plain = open_run(tiny(a, b, tmp_path, name="plain", load_size=36, crop_size=32, batch_size=4),
                     None, None, quiet=True)  # fmt: skip
    assert plain.batches.judged(Seen(real_b, real_b, real_b, real_b), 0).real_b is real_b
    assert all(torch.isfinite(v) for v in trainer.train_step().values())
    with pytest.raises(UsageError, match="load_size_real_b"):
        tiny(a, b, tmp_path, mask=True, d_on_mask=True, load_size_real_b=96).validate()


def test_grey_share_greys_that_share_of_images_and_leaves_the_crops_alone(tmp_path, inverted_pair):
    """grey_share: about that share of each side's images arrive as their luma in all three channels, each
    image's lot a function of its position (as its crop is); the crops and flips are those of a run without
    it, and an image not greyed is the same pixels."""
    from vidgan.train.data import DomainBatches

    plain, grey = (TrainConfig(load_size=36, crop_size=32, batch_size=8, seed=1, grey_share=g) for g in (0.0, 0.25))
    sizes = np.full(4000, 36)
    lots = [PairSampler(10, 10, grey).crops(np.arange(4000), side, sizes, sizes) for side in (0, 1)]
    for side in (0, 1):
        assert 900 < lots[side].grey.sum() < 1100  # 0.25 of 4,000, a fixed draw (binomial sd 27)
        without = PairSampler(10, 10, plain).crops(np.arange(4000), side, sizes, sizes)
        assert not without.grey.any()
        assert all(np.array_equal(getattr(lots[side], f), getattr(without, f)) for f in ("y", "x", "flip"))
    assert not np.array_equal(lots[0].grey, lots[1].grey)  # a stream per side
    domain = load_domain(inverted_pair[0], "A", grey, quiet=True)
    batches, sampler = DomainBatches(domain, torch.device("cpu")), PairSampler(len(domain), len(domain), grey)
    positions = np.arange(64)
    idx = sampler.indices(positions)[0]
    crops = sampler.crops(positions, 0, batches.heights[idx], batches.widths[idx])
    out = batches.batch(idx, crops, 32)
    crops.grey[:] = False
    colour = batches.batch(idx, crops, 32)
    flagged = sampler.crops(positions, 0, batches.heights[idx], batches.widths[idx]).grey
    assert flagged.any() and not flagged.all()
    assert torch.equal(out[~flagged], colour[~flagged])
    assert (out[flagged][:, 0] == out[flagged][:, 1]).all() and (out[flagged][:, 1] == out[flagged][:, 2]).all()
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    expected = (colour[flagged].float() * weights).sum(1).round()
    assert torch.equal(out[flagged][:, 0].float(), expected)
    assert (colour[flagged][:, 0] != colour[flagged][:, 2]).any()  # the inputs were coloured
    with pytest.raises(UsageError, match="grey_share is a share"):
        TrainConfig(a="a", b="b", images=8, grey_share=1.5).validate()


def paper_step(trainer, real_a, real_b, pools) -> tuple[dict, dict]:
    """The paper's step as its official code writes it: six generator passes, four discriminator passes,
    fp32, on copies of the trainer's networks (with lambda_cycle_b its lambda_B, on the cycle only). Returns
    (losses, gradients by parameter name)."""
    import copy

    c = trainer.config
    lambda_a, lambda_b = c.lambda_cycle, c.lambda_cycle if c.lambda_cycle_b is None else c.lambda_cycle_b
    nets = {k: copy.deepcopy(v) for k, v in trainer.nets.items()}
    for net in nets.values():
        net.zero_grad(set_to_none=True)
    fake_b, fake_a = nets["G_A"](real_a), nets["G_B"](real_b)
    rec_a, rec_b = nets["G_B"](fake_b), nets["G_A"](fake_a)
    idt_a, idt_b = nets["G_B"](real_a), nets["G_A"](real_b)
    for name in ("D_A", "D_B"):
        nets[name].requires_grad_(False)
    g = {
        "G_A": gan_loss(nets["D_A"](fake_b), True),
        "G_B": gan_loss(nets["D_B"](fake_a), True),
        "cycle": lambda_a * (rec_a - real_a).abs().mean() + lambda_b * (rec_b - real_b).abs().mean(),
        "idt": c.identity * c.lambda_cycle * ((idt_b - real_b).abs().mean() + (idt_a - real_a).abs().mean()),
    }
    sum(g.values()).backward()
    for name in ("D_A", "D_B"):
        nets[name].requires_grad_(True)
    old_b, old_a = pools["B"].query(fake_b.detach()), pools["A"].query(fake_a.detach())
    d = {
        "D_A": 0.5 * (gan_loss(nets["D_A"](real_b), True) + gan_loss(nets["D_A"](old_b), False)),
        "D_B": 0.5 * (gan_loss(nets["D_B"](real_a), True) + gan_loss(nets["D_B"](old_a), False)),
    }
    (d["D_A"] + d["D_B"]).backward()
    grads = {f"{k}.{n}": p.grad for k, net in nets.items() for n, p in net.named_parameters()}
    return g | d, grads


@pytest.mark.parametrize("lambda_cycle_b", [None, 4.0])
def test_the_merged_step_computes_the_paper_steps_losses_and_gradients(tmp_path, inverted_pair, lambda_cycle_b):
    """Three generator passes and two discriminator passes instead of six and four: the same losses and
    gradients as the plain step, with the cycle from B weighed alike or on its own. In float64, to 1e-9
    relative (it is the same arithmetic: in float32 the order of summation alone moves the first layer's
    gradient by 3e-4 relative)."""
    import copy

    a, b = inverted_pair
    config = tiny(a, b, tmp_path, identity=0.5, batch_size=3, pool_size=4, lambda_cycle_b=lambda_cycle_b)
    trainer = open_run(config, None, None, quiet=True)
    for net in trainer.nets.values():
        net.double()
    trainer.lr = 0.0  # the steps leave the weights as they are, and their gradients in .grad
    trainer._fresh_optimisers()
    trainer.start_schedules()
    for _ in range(2):  # the second step draws from filled pools
        real_a, real_b = (x.double() for x in trainer.batches.reals(trainer.images_seen))
        expected_losses, expected_grads = paper_step(trainer, real_a, real_b, copy.deepcopy(trainer.pools))
        losses, seen = trainer.generator_step(real_a, real_b)
        losses |= trainer.discriminator_step(seen)
        trainer.images_seen += 3
        for name, value in expected_losses.items():
            assert losses[name].item() == pytest.approx(value.item(), rel=1e-10), name
        for name, net in trainer.nets.items():
            for param_name, param in net.named_parameters():
                want = expected_grads[f"{name}.{param_name}"]
                assert (param.grad - want).norm() <= 1e-9 * want.norm(), f"{name}.{param_name}"


# ------------------------------------------------------------------------------------------ runs


def test_resume_is_bit_for_bit(tmp_path, inverted_pair):
    a, b = inverted_pair
    full = open_run(tiny(a, b, tmp_path, name="full", crop_size=48), None, None, quiet=True)
    full.run()

    part = open_run(tiny(a, b, tmp_path, name="part", crop_size=48), None, None, quiet=True)
    step = part.train_step

    def interrupt_at_4():
        if part.step == 4:
            raise KeyboardInterrupt  # what Ctrl-C raises
        return step()

    part.train_step = interrupt_at_4
    with pytest.raises(KeyboardInterrupt):
        part.run()
    resumed = open_run(None, part.run_dir, None, quiet=True)
    assert resumed.step == 4
    resumed.run()
    assert resumed.step == full.step == 8
    for name in full.nets:
        for (k, v), w in zip(full.nets[name].state_dict().items(), resumed.nets[name].state_dict().values()):
            assert torch.equal(v, w), f"{name}.{k} differs after resume"
    adam_full, adam_resumed = full.opt_g.state_dict()["state"][0], resumed.opt_g.state_dict()["state"][0]
    assert torch.equal(adam_full["exp_avg"], adam_resumed["exp_avg"])


def test_learns_a_known_mapping(trained_inverter):
    """A tiny CycleGAN (64 px, ngf 16, 3 blocks) learns colour inversion from unpaired examples."""
    generator, held_out = trained_inverter
    x = torch.from_numpy(held_out).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        y = generator(x)
    error = (y - (-x)).abs().mean().item()
    baseline = (x - (-x)).abs().mean().item()
    assert error <= 0.5 * baseline, (error, baseline)


def test_out_of_memory_says_what_to_lower(tmp_path, inverted_pair):
    a, b = inverted_pair
    trainer = open_run(tiny(a, b, tmp_path), None, None, quiet=True)

    def oom():
        raise torch.OutOfMemoryError("CUDA out of memory")

    trainer.train_step = oom
    with pytest.raises(VidganError, match="lower --batch-size"):
        trainer.run()


def test_export_fp16_int8_and_shards(tmp_path, inverted_pair):
    a, b = inverted_pair
    trainer = open_run(tiny(a, b, tmp_path, name="pix2inv", iterations=3), None, None, quiet=True)
    run_dir = trainer.run()
    out = tmp_path / "models"
    paths = export_run(run_dir, out)
    assert [p.name for p in paths] == ["pix2inv.safetensors", "inv2pix.safetensors"]
    card = json.loads((out / "pix2inv.json").read_text())
    assert card["direction"] == "A->B" and card["domains"] == {"input": "pix", "output": "inv"}
    assert card["training"]["iterations"] == 3 and card["recipe"]["ngf"] == 16
    g = trainer.nets["G_A"].eval()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        reference = g(x)
        fp16 = load_generator_file(paths[0]).generator(x)
    assert (fp16 - reference).abs().max() < 0.02

    int8 = export_run(run_dir, tmp_path / "int8", precision="int8")[0]
    card8 = json.loads(int8.with_suffix(".json").read_text())
    assert card8["int8_psnr_vs_fp16_db"] >= 38.0
    assert int8.stat().st_size < 0.6 * paths[0].stat().st_size
    assert int8_fidelity(g, trainer.samples[0]) == pytest.approx(card8["int8_psnr_vs_fp16_db"], abs=0.01)

    sharded = export_run(run_dir, tmp_path / "shards", max_shard_bytes=20_000)[0]
    assert sharded.name == "pix2inv.safetensors.index.json"
    assert len(list((tmp_path / "shards").glob("pix2inv-*-of-*.safetensors"))) > 2
    with torch.no_grad():
        assert torch.equal(load_generator_file(sharded).generator(x), fp16)


def test_cli_train_export_translate(tmp_path, inverted_pair, user_folder, monkeypatch):
    a, b = inverted_pair
    monkeypatch.chdir(tmp_path)
    recipe = tmp_path / "r.toml"
    recipe.write_text('name = "cat2dog"\n[model]\nngf = 8\nn_blocks = 2\nndf = 8\n[data]\nload_size = 40\n'
                      'crop_size = 32\n[schedule]\nepochs = 100\n')  # fmt: skip
    result = CliRunner().invoke(main, ["train", "--recipe", str(recipe), "--a", str(a), "--b", str(b),
                                       "--iterations", "3", "-q", "--sample-every", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "cat2dog"
    assert (run / "state.pt").is_file() and (run / "samples" / "step_0000002.png").is_file()
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]  # the first steps are logged too (a short run has a curve), and the end
    plotted = CliRunner().invoke(main, ["plot-losses", str(run)])
    assert plotted.exit_code == 0 and (run / "losses.png").is_file()
    assert find_model("cat2dog") == user_folder / "cat2dog.safetensors"
    assert load_model("dog2cat").generator.config.ngf == 8
    state = torch.load(run / "state.pt", weights_only=True)
    assert state["step"] == 3 and state["config"]["crop_size"] == 32 and state["config"]["epochs"] is None

    from clips import make_clip

    clip = make_clip(tmp_path / "c.mp4", 48, 32, frames=2)
    result = CliRunner().invoke(main, ["translate", str(clip), "-m", "cat2dog", "--quiet"])
    assert result.exit_code == 0 and (tmp_path / "c_cat2dog.mp4").is_file()

    again = CliRunner().invoke(main, ["train", "--recipe", str(recipe), "--a", str(a), "--b", str(b)])
    assert again.exit_code == 1 and "--resume" in again.output


def test_recipe_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("learning_rate = 1\n")
    with pytest.raises(VidganError, match="unknown training setting"):
        load_recipe(bad)
    assert load_recipe(ROOT / "pipelines" / "horse2zebra.toml")["name"] == "horse2zebra"


@pytest.mark.parametrize("weight", ["lambda_cycle", "lambda_cycle_b", "identity"])
def test_loss_weights_cannot_be_negative(weight):
    TrainConfig(a="a", b="b", images=8, **{weight: 0.0}).validate()  # 0 turns a term off
    with pytest.raises(UsageError, match="cannot be negative"):
        TrainConfig(a="a", b="b", images=8, **{weight: -1.0}).validate()


@pytest.mark.skipif(shutil.which("torchrun") is None and not (Path(sys.executable).parent / "torchrun").exists(),
                    reason="torchrun not installed")  # fmt: skip
def test_ddp_two_processes_on_cpu(tmp_path, inverted_pair):
    a, b = inverted_pair
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).parent / "torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [torchrun, "--standalone", "--nproc_per_node=2", "-m", "vidgan", "train", "--a", str(a), "--b", str(b),
           "--name", "ddp", "--runs-dir", str(tmp_path / "runs"), "--iterations", "4", "--ngf", "8", "--n-blocks",
           "1", "--ndf", "8", "--load-size", "36", "--crop-size", "32", "--device", "cpu", "--no-export", "-q",
           "--sample-every", "0"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=HANG_GUARD, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = torch.load(tmp_path / "runs" / "ddp" / "state.pt", weights_only=True)
    assert state["step"] == 4 and state["images_seen"] == 8  # 2 processes x batch 1 x 4 iterations


def test_trains_and_exports_without_pyav(tmp_path, inverted_pair):
    """A training box with image data needs no video stack: `vidgan train` runs with PyAV unimportable."""
    a, b = inverted_pair
    code = "import runpy, sys; sys.modules['av'] = None; runpy.run_module('vidgan', run_name='__main__')"
    args = ["train", "--a", str(a), "--b", str(b), "--name", "inv", "--runs-dir", str(tmp_path / "runs"),
            "--iterations", "2", "--load-size", "64", "--crop-size", "64", "--ngf", "8", "--n-blocks", "1",
            "--ndf", "8", "--sample-every", "0", "--quiet"]  # fmt: skip
    env = {**os.environ, "VIDGAN_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "home").glob("*.safetensors")) == [
        "inv-reverse.safetensors",
        "inv.safetensors",
    ]
