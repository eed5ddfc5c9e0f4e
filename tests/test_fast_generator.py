"""The fast generator family, distillation into it, and ONNX: shapes, cost, no grid, files, a student that
learns its teacher, and onnxruntime against torch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from clips import make_clip, read_video, write_inverted_pair

from vidgan.cli import main
from vidgan.eval.texture import grid_ratio
from vidgan.models.checkpoints import load_generator_file, save_generator
from vidgan.models.nets import (
    GeneratorConfig,
    MobileResnetGenerator,
    ResnetGenerator,
    build_generator,
    count_macs,
    init_weights,
    to_signed,
    to_uint8,
)
from vidgan.models.registry import list_models, load_model

MOBILE = GeneratorConfig(ngf=32, n_blocks=9, family="mobile")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_mobile_generator_shapes_and_cost():
    net = build_generator(MOBILE).eval()
    assert isinstance(net, MobileResnetGenerator)
    with torch.no_grad():
        assert net(torch.zeros(2, 3, 68, 92)).shape == (2, 3, 68, 92)  # any multiple of 4
    assert count_macs(ResnetGenerator()) == pytest.approx(49.55e9, rel=0.002)  # the paper's 49.6 G
    assert 3.0e9 < count_macs(net) < 4.0e9  # about 13x fewer
    assert sum(p.numel() for p in net.parameters()) < 0.6e6  # the paper's: 11.4 M
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in net.modules())


def test_mobile_upsampling_lays_far_less_grid():
    """Random weights on a smooth ramp: the paper's transposed convolutions lay a strong grid over it; the
    mobile generator's nearest-neighbour resize then convolution leaves a faint one (a 3x3 kernel sees a
    2x2 block's pixels in four ways), a quarter of it at most."""
    yy, xx = torch.meshgrid(torch.linspace(-0.6, 0.6, 128), torch.linspace(-0.5, 0.5, 128), indexing="ij")
    x = torch.stack([yy, xx, yy * xx]).unsqueeze(0).repeat(2, 1, 1, 1)
    ratios = {}
    for family in ("resnet", "mobile"):
        torch.manual_seed(0)
        net = init_weights(build_generator(GeneratorConfig(ngf=8, n_blocks=2, family=family))).eval()
        with torch.no_grad():
            ratios[family] = grid_ratio(to_uint8(x), to_uint8(net(x)))
    assert ratios["resnet"] > 20 and ratios["mobile"] < ratios["resnet"] / 4, ratios


@pytest.mark.parametrize("dtype", [torch.float16, "int8"])
def test_mobile_checkpoint_round_trip(tmp_path, user_folder, dtype):
    user_folder.mkdir()
    torch.manual_seed(0)
    net = init_weights(build_generator(GeneratorConfig(ngf=8, n_blocks=2, family="mobile"))).eval()
    path = save_generator(net, user_folder / "fast.safetensors", {"description": "a fast test model"}, dtype,
                          max_shard_bytes=2_000)  # fmt: skip
    assert path.name == "fast.safetensors.index.json"  # sharded
    card = json.loads((user_folder / "fast.json").read_text())
    assert card["architecture"]["type"] == "mobile_resnet_generator" and card["architecture"]["family"] == "mobile"
    loaded = load_model("fast")
    assert isinstance(loaded.generator, MobileResnetGenerator) and loaded.generator.config.ngf == 8
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        assert (loaded.generator(x) - net(x)).abs().max() < 0.05  # int8: within a few levels
    [row] = [row for row in list_models() if row[0] == "fast"]
    assert row[1] == "user" and row[2].endswith("GMACs/frame] a fast test model")


def test_unknown_family_in_a_file_is_one_line(tmp_path):
    net = build_generator(GeneratorConfig(ngf=4, n_blocks=1))
    path = save_generator(net, tmp_path / "g.safetensors")
    from safetensors.torch import load_file, save_file

    save_file(load_file(str(path)), str(path), {"architecture": json.dumps({**net.config.to_dict(), "family": "vit"})})
    with pytest.raises(Exception, match="unknown generator family 'vit'"):
        load_generator_file(path)


@pytest.fixture
def teacher_file(trained_inverter, tmp_path):
    """The trained colour inverter (a small paper-family G) as a model file: a teacher with a known task."""
    generator, _ = trained_inverter
    return save_generator(generator, tmp_path / "inverter.safetensors", {"description": "teacher"})


def test_distilled_student_reproduces_its_teacher(tmp_path, teacher_file, trained_inverter, user_folder):
    """A mobile student distilled for 150 steps from the trained inverter reproduces it on held-out images:
    its error to the teacher's output is a fraction of what the teacher changes, and the inverse student
    brings the teacher's outputs back near their inputs. The card names the teacher."""
    teacher, held_out = trained_inverter
    a, _ = write_inverted_pair(tmp_path / "data")
    result = invoke("distill", teacher_file, "--a", a, "--name", "inv-fast", "--runs-dir", tmp_path / "runs",
                    "--load-size", "36", "--crop-size", "32", "--ngf", "8", "--n-blocks", "2", "--iterations", "150",
                    "--lr", "1e-3", "--sample-every", "0", "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "exported" in result.output and (user_folder / "inv-fast.safetensors").is_file()
    student, inverse = load_model("inv-fast"), load_model("inv-fast-reverse")
    assert student.card["teacher"] == {"model": str(teacher_file), "role": "reproduces it"}
    assert inverse.card["teacher"]["role"] == "inverts it"
    x = to_signed(torch.from_numpy(held_out).permute(0, 3, 1, 2))
    with torch.no_grad():
        target = teacher.eval()(x)
        change = (target - x).abs().mean()
        assert (student.generator(x) - target).abs().mean() < 0.2 * change
        assert (inverse.generator(target) - x).abs().mean() < 0.3 * change


def test_distill_resumes_and_refuses_bad_input(tmp_path, teacher_file):
    a, _ = write_inverted_pair(tmp_path / "data", count=8)
    common = ["--a", a, "--runs-dir", tmp_path / "runs", "--load-size", "36", "--crop-size", "32", "--ngf", "4",
              "--n-blocks", "1", "--sample-every", "0", "-q", "--no-export"]  # fmt: skip
    assert invoke("distill", "--a", a, "--name", "x").exit_code == 2  # no teacher: a usage error
    bad = invoke("distill", "nosuchmodel", *common, "--name", "x", "--iterations", "2")
    assert bad.exit_code == 1 and "unknown model 'nosuchmodel'" in bad.output
    bad = invoke("distill", teacher_file, *common, "--name", "x", "--iterations", "2", "--feature-weight", "1")
    assert bad.exit_code == 2 and "use online targets" in bad.output  # settings that do not go together
    first = invoke("distill", teacher_file, *common, "--name", "r", "--iterations", "6", "--stop-after", "0s")
    assert first.exit_code == 0, first.output
    run = tmp_path / "runs" / "r"
    assert (run / "teacher.safetensors").is_file()  # the targets, made once for the run
    again = invoke("distill", "--resume", run, "-q", "--no-export")
    assert again.exit_code == 0 and "trained to 24 of 24 images" in again.output, again.output
    online = invoke("distill", teacher_file, *common, "--name", "o", "--iterations", "3", "--targets", "online",
                    "--feature-weight", "0.1", "--adversarial-weight", "0.1")  # fmt: skip
    assert online.exit_code == 0, online.output
    log = [json.loads(line) for line in (tmp_path / "runs" / "o" / "log.jsonl").read_text().splitlines()]
    assert {"l1", "inverse", "feature", "G_A", "D_A"} <= set(log[-1])


def test_cycle_gan_starts_from_a_distillation(tmp_path, teacher_file):
    """`vidgan train --init-from` a distillation run: its generators, fresh discriminators of the CycleGAN's
    size, a warm restart."""
    a, b = write_inverted_pair(tmp_path / "data", count=8)
    common = ["--a", a, "--runs-dir", tmp_path / "runs", "--load-size", "36", "--crop-size", "32", "--ngf", "4",
              "--n-blocks", "1", "--sample-every", "0", "-q", "--no-export"]  # fmt: skip
    assert invoke("distill", teacher_file, *common, "--name", "d", "--iterations", "4").exit_code == 0
    from vidgan.train.config import TrainConfig
    from vidgan.train.runs import open_run

    config = TrainConfig(a=str(a), b=str(b), name="c", runs_dir=str(tmp_path / "runs"), generator="mobile", ngf=4,
                         n_blocks=1, ndf=8, load_size=36, crop_size=32, iterations=3, sample_every=0)  # fmt: skip
    trainer = open_run(config, init_from=tmp_path / "runs" / "d", quiet=True)
    distilled = torch.load(tmp_path / "runs" / "d" / "state.pt", weights_only=True)["nets"]
    for key, value in distilled["G_A"].items():
        assert torch.equal(trainer.nets["G_A"].state_dict()[key], value)
    assert trainer.d_warmup == config.restart_d_steps and trainer.restarted_at == 0


def test_onnx_export_matches_torch_at_any_size(tmp_path, user_folder):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    user_folder.mkdir()
    for family in ("resnet", "mobile"):
        torch.manual_seed(0)
        net = init_weights(build_generator(GeneratorConfig(ngf=8, n_blocks=2, family=family)), 0.2).eval()
        save_generator(net, user_folder / f"{family}.safetensors", {"description": family})
        out = tmp_path / f"{family}.onnx"
        result = invoke("export", family, "--format", "onnx", "-o", out)
        assert result.exit_code == 0, result.output
        session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        meta = session.get_modelmeta().custom_metadata_map
        assert "[-1, 1]" in meta["input"] and json.loads(meta["architecture"])["family"] == family
        for h, w in ((64, 64), (48, 100)):
            x = torch.rand(2, 3, h, w) * 2 - 1
            y = session.run(None, {"image": x.numpy()})[0]
            with torch.no_grad():
                reference = net(x).numpy()
            mse = float(((y - reference) ** 2).mean())
            assert 10 * np.log10(4 / max(mse, 1e-20)) > 40, (family, h, w)
    assert invoke("export", "mobile", "--format", "onnx", "-o", tmp_path / "x.safetensors").exit_code == 1


def test_translate_with_onnxruntime_matches_torch(tmp_path, user_folder):
    pytest.importorskip("onnxruntime")
    user_folder.mkdir()
    torch.manual_seed(0)
    save_generator(init_weights(build_generator(GeneratorConfig(ngf=8, n_blocks=2, family="mobile")), 0.2),
                   user_folder / "m.safetensors", {"description": "m"})  # fmt: skip
    clip = make_clip(tmp_path / "c.mp4", 64, 48, frames=4)
    outs = {}
    for backend in ("torch", "onnxruntime"):
        outs[backend] = tmp_path / f"{backend}.mp4"
        result = invoke("translate", clip, "-m", "m", "--size", "48", "--backend", backend, "--precision", "fp32",
                        "--crf", "0", "-o", outs[backend], "-q")  # fmt: skip
        assert result.exit_code == 0, result.output
    a, b = (np.stack(read_video(p)[0]).astype(int) for p in outs.values())
    assert a.shape == b.shape and np.abs(a - b).mean() < 0.01  # lossless h264: the same frames
    bad = invoke("translate", clip, "-m", "m", "--backend", "onnxruntime", "--precision", "bf16", "-o",
                 tmp_path / "bad.mp4")  # fmt: skip
    assert bad.exit_code == 1 and "fp32 on the CPU" in bad.output
