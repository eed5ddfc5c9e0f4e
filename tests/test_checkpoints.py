"""Our checkpoint format, official CycleGAN .pth files, the official download, and finding models."""

from __future__ import annotations

import functools
import http.server
import json
import threading

import pytest
import torch
from click.testing import CliRunner

from vidgan import GeneratorConfig, ResnetGenerator, VidganError
from vidgan.cli import main
from vidgan.models.checkpoints import dequantize, load_generator_file, quantize_int8, save_generator, save_tensors
from vidgan.models.registry import find_model, list_models, load_model


def official_state_dict(config: GeneratorConfig, seed: int = 0) -> tuple[ResnetGenerator, dict]:
    """A state dict as the official code saves it: under DataParallel (`module.`), with the InstanceNorm
    running statistics that PyTorch < 0.4 stored."""
    torch.manual_seed(seed)
    net = ResnetGenerator(config).eval()
    state = {f"module.{k}": v for k, v in net.state_dict().items()}
    for name, module in net.named_modules():
        if isinstance(module, torch.nn.InstanceNorm2d):
            state[f"module.{name}.running_mean"] = torch.zeros(module.num_features)
            state[f"module.{name}.running_var"] = torch.ones(module.num_features)
    return net, state


@pytest.mark.parametrize(
    "config",
    [GeneratorConfig(ngf=8, n_blocks=9), GeneratorConfig(ngf=4, n_blocks=6),
     GeneratorConfig(ngf=4, n_blocks=3, use_dropout=True)],
)  # fmt: skip
def test_official_pth_loads_with_inferred_architecture(tmp_path, config):
    net, state = official_state_dict(config)
    path = tmp_path / "latest_net_G_A.pth"
    torch.save(state, path)
    loaded = load_generator_file(path)
    assert loaded.generator.config == config
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.equal(loaded.generator(x), net(x))


def test_official_key_names_match_the_released_layout():
    keys = set(ResnetGenerator(GeneratorConfig()).state_dict())
    # Spot checks against the released 9-block horse2zebra generator's keys.
    for key in ("model.1.weight", "model.4.weight", "model.7.weight", "model.10.conv_block.1.weight",
                "model.18.conv_block.5.bias", "model.19.weight", "model.22.weight", "model.26.weight"):  # fmt: skip
        assert key in keys
    assert len(keys) == 2 * (3 + 18 + 2 + 1)  # weight and bias of each conv: 3 down, 18 in blocks, 2 up, 1 out
    assert sum(p.numel() for p in ResnetGenerator().parameters()) == 11_378_179  # as the official code prints


def test_safetensors_round_trip_with_card(tmp_path):
    torch.manual_seed(1)
    net = ResnetGenerator(GeneratorConfig(ngf=8, n_blocks=2))
    path = save_generator(net, tmp_path / "m.safetensors", {"direction": "A->B", "metrics": {"x": 1}},
                          dtype=torch.float32)  # fmt: skip
    card = json.loads((tmp_path / "m.json").read_text())
    assert card["format_version"] == 1 and card["architecture"]["n_blocks"] == 2 and card["direction"] == "A->B"
    assert path.stat().st_mode & 0o777 == 0o644  # safetensors alone would leave it 0600: unreadable when shared
    loaded = load_generator_file(path)
    assert loaded.card["metrics"] == {"x": 1}
    for a, b in zip(net.state_dict().values(), loaded.generator.state_dict().values()):
        assert torch.equal(a, b)


def test_channels_last_networks_save_int8_and_float(tmp_path):
    """On CUDA the trainer keeps networks channels_last, whose NHWC-strided weights safetensors refuses (an
    H200 run's compact state failed to save on this): saving makes them contiguous, values unchanged."""
    from safetensors.torch import load_file

    net = ResnetGenerator(GeneratorConfig(ngf=8, n_blocks=2)).to(memory_format=torch.channels_last)
    tensors = quantize_int8(net.state_dict())
    assert not all(value.is_contiguous() for value in tensors.values())  # the case that failed
    save_tensors(tensors, tmp_path / "d.safetensors", {})
    for key, value in dequantize(load_file(str(tmp_path / "d.safetensors"))).items():
        original = net.state_dict()[key].float()
        assert (value.float() - original).abs().max() <= original.abs().max() / 127 + 1e-3, key
    loaded = load_generator_file(save_generator(net, tmp_path / "g.safetensors", dtype=torch.float32))
    for a, b in zip(net.state_dict().values(), loaded.generator.state_dict().values()):
        assert torch.equal(a, b)


def test_fp16_checkpoint_without_card_still_loads(tmp_path):
    net = ResnetGenerator(GeneratorConfig(ngf=8, n_blocks=2))
    path = save_generator(net, tmp_path / "bare.safetensors")
    assert not (tmp_path / "bare.json").exists()
    assert load_generator_file(path).generator.config == net.config


def test_names_resolve_user_folder_then_paths(tmp_path, user_folder):
    user_folder.mkdir()
    save_generator(ResnetGenerator(GeneratorConfig(ngf=4, n_blocks=1)), user_folder / "mine.safetensors")
    assert find_model("mine") == user_folder / "mine.safetensors"
    assert load_model("mine").name == "mine"
    listed = [row[:2] for row in list_models()]
    assert ("horse2zebra", "shipped") in listed and ("mine", "user") in listed
    with pytest.raises(VidganError, match="unknown model"):
        find_model("theirs")


def test_a_user_model_named_like_a_shipped_one_is_pointed_out(user_folder):
    user_folder.mkdir()
    mine = save_generator(ResnetGenerator(GeneratorConfig(ngf=4, n_blocks=1)), user_folder / "horse2zebra.safetensors")
    loaded = load_model("horse2zebra")
    assert loaded.generator.config.ngf == 64  # the shipped one is taken ...
    assert len(loaded.notices) == 1 and str(mine) in loaded.notices[0]  # ... and the other is named
    assert load_model(str(mine)).generator.config.ngf == 4  # its path takes it


def test_an_export_replaces_other_forms_of_the_same_name(tmp_path):
    """Shards over a single file, then a single int8 file over shards: one form remains, with its own
    card, found by its name and by the path a user would type."""
    g = ResnetGenerator(GeneratorConfig(ngf=4, n_blocks=1))
    folder = tmp_path / "models"
    folder.mkdir()
    save_generator(g, folder / "h2z.safetensors", {"precision": "fp16"})
    index = save_generator(g, folder / "h2z.safetensors", {"precision": "fp16"}, max_shard_bytes=2000)
    assert index.name == "h2z.safetensors.index.json" and not (folder / "h2z.safetensors").exists()
    assert load_model(str(folder / "h2z.safetensors")).generator.config.ngf == 4  # the path a user types
    save_generator(g, folder / "h2z.safetensors", {"precision": "int8"}, dtype="int8")
    assert sorted(p.name for p in folder.iterdir()) == ["h2z.json", "h2z.safetensors"]
    assert json.loads((folder / "h2z.json").read_text())["precision"] == "int8"
    save_generator(g, folder / "h2z.safetensors")  # no card: none is left describing another file
    assert sorted(p.name for p in folder.iterdir()) == ["h2z.safetensors"]


def test_a_sharded_user_model_is_found_by_name(user_folder):
    user_folder.mkdir()
    g = ResnetGenerator(GeneratorConfig(ngf=4, n_blocks=1))
    save_generator(g, user_folder / "sharded.safetensors", {"description": "shards"}, max_shard_bytes=2000)
    assert find_model("sharded").name == "sharded.safetensors.index.json"
    [row] = [row for row in list_models() if row[0] == "sharded"]
    assert row[1] == "user" and row[2].endswith("GMACs/frame] shards")  # its cost, from its card


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def official_server(tmp_path, monkeypatch):
    """Serves a small generator as `horse2zebra.pth` on 127.0.0.1, as the authors' server would."""
    folder = tmp_path / "server"
    folder.mkdir()
    net, state = official_state_dict(GeneratorConfig(ngf=4, n_blocks=2), seed=3)
    torch.save(state, folder / "horse2zebra.pth")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("VIDGAN_OFFICIAL_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield net, server
    server.shutdown()


def test_official_download_converts_and_caches(tmp_path, official_server, user_folder):
    net, server = official_server
    from clips import make_clip

    clip = make_clip(tmp_path / "clip.mp4", 32, 32, frames=2)
    result = CliRunner().invoke(main, ["translate", str(clip), "-m", "official:horse2zebra", "-o",
                                       str(tmp_path / "out.mp4"), "--quiet", "--device", "cpu"])  # fmt: skip
    assert result.exit_code == 0, result.output
    cached = user_folder / "official" / "horse2zebra.safetensors"
    assert cached.is_file() and not list(cached.parent.glob("*.pth")) and not list(cached.parent.glob(".*"))
    server.shutdown()  # the second use needs no server
    loaded = load_model("official:horse2zebra")
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        assert torch.equal(loaded.generator(x), net(x))


def test_official_download_failure_leaves_nothing(official_server, user_folder):
    with pytest.raises(VidganError, match="cannot download"):
        find_model("official:zebra2horse")  # the test server does not have it: 404
    assert not (user_folder / "official").exists()


def test_official_download_offline_says_so_in_one_line(tmp_path, monkeypatch, user_folder):
    import socket

    from clips import make_clip

    with socket.socket() as s:  # a port nobody listens on: the connection is refused, as with no network
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("VIDGAN_OFFICIAL_URL", f"http://127.0.0.1:{port}")
    clip = make_clip(tmp_path / "clip.mp4", 32, 32, frames=2)
    result = CliRunner().invoke(
        main, ["translate", str(clip), "-m", "official:horse2zebra", "-o", str(tmp_path / "o.mp4")]
    )
    assert result.exit_code == 1
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "cannot be reached (no network?)" in message
    assert "horse2zebra.pth" in message and "--model" in message and "Errno" not in message
    assert not user_folder.exists()  # no empty cache folder left behind


def test_unknown_official_name():
    with pytest.raises(VidganError, match="unknown official model"):
        find_model("official:cat2dog")


def test_models_command_lists_official_names():
    result = CliRunner().invoke(main, ["models"])
    assert result.exit_code == 0
    assert "official:horse2zebra" in result.output and result.output.count("official:") == 18
