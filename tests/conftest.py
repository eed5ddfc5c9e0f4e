from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))  # the helpers in clips.py

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# One thread per torch process, here and in the commands the tests start: the networks are tiny, and on a
# busy machine a second OpenMP thread waits at every barrier for a core another process holds. Measured
# beside two busy processes on 2 cores: the masked square task 95 s with two threads, 33 s with one.
os.environ["OMP_NUM_THREADS"] = "1"
torch.set_num_threads(1)

# A suite started in the background (`cmd &`, nohup, some CI runners) inherits SIGINT ignored, and so would
# every `vidgan` it starts: the Ctrl-C tests would send a signal nobody hears. A handler (unlike "ignored") is
# not inherited across exec, so the commands the tests start get SIGINT's default, as at a terminal.
signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"reference data not found at {SHARED} (../shared/data beside the project)")
    return SHARED


@pytest.fixture(autouse=True)
def user_folder(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty user model folder, so nothing leaks from ~/.cache."""
    folder = tmp_path / "vidgan-home"
    monkeypatch.setenv("VIDGAN_HOME", str(folder))
    return folder


@pytest.fixture(scope="session")
def trained_inverter(tmp_path_factory):
    """A tiny CycleGAN (32 px crops, ngf 8, 2 blocks, fixed seed) trained for 200 iterations on images and
    the colour negatives of others: its G should have learnt inversion. Returns (G in eval mode, 16 held-out
    uint8 (N, 64, 64, 3) images). Trained once per session; about 8 s on 2 quiet cores."""
    import numpy as np
    from clips import inverter_config, tinted, write_inverted_pair

    from vidgan.train.runs import open_run

    folder = tmp_path_factory.mktemp("inverter")
    a, b = write_inverted_pair(folder)
    trainer = open_run(inverter_config(a, b, folder / "runs"), None, None, quiet=True)
    trainer.run()
    rng = np.random.default_rng(123)
    return trainer.nets["G_A"].eval(), np.stack([tinted(rng) for _ in range(16)])


@pytest.fixture
def tiny_model(tmp_path) -> Path:
    """A small real ResNet generator saved in our format (random weights: for plumbing only)."""
    from vidgan.models.checkpoints import save_generator
    from vidgan.models.nets import GeneratorConfig, ResnetGenerator

    torch.manual_seed(0)
    path = tmp_path / "tiny.safetensors"
    save_generator(ResnetGenerator(GeneratorConfig(ngf=8, n_blocks=2)), path, {"description": "test model"})
    return path


@pytest.fixture
def model(user_folder) -> str:
    """A tiny mobile generator (random weights) saved in the user folder as `tiny`: a model by name."""
    from vidgan.models.checkpoints import save_generator
    from vidgan.models.nets import GeneratorConfig, build_generator, init_weights

    user_folder.mkdir(exist_ok=True)
    torch.manual_seed(0)
    net = init_weights(build_generator(GeneratorConfig(ngf=4, n_blocks=1, family="mobile")), 0.2)
    save_generator(net, user_folder / "tiny.safetensors", {"description": "a tiny test model"})
    return "tiny"


class Gate:
    """Holds every generator call until the test lets it through: `allow(n)` lets n more pass, `open()` all.
    `passed` counts those let through, `waiting` those held now: a test of a running job knows where it
    stands by counting, not by how fast the machine translates."""

    def __init__(self) -> None:
        import threading

        self.condition = threading.Condition()
        self.permits, self.opened, self.passed, self.waiting = 0, False, 0, 0

    def allow(self, n: int) -> None:
        with self.condition:
            self.permits += n
            self.condition.notify_all()

    def open(self) -> None:
        with self.condition:
            self.opened = True
            self.condition.notify_all()

    def wait(self) -> None:
        with self.condition:
            self.waiting += 1
            self.condition.wait_for(lambda: self.opened or self.permits > 0)
            self.waiting -= 1
            if not self.opened:
                self.permits -= 1
            self.passed += 1


@pytest.fixture
def gate(monkeypatch):
    """Every generator call in this process (servers under test run here) waits at a Gate."""
    from vidgan.engine.translator import FrameTranslator

    held, run = Gate(), FrameTranslator.run

    def gated(self, frames, crop=None):
        held.wait()
        return run(self, frames, crop)

    monkeypatch.setattr(FrameTranslator, "run", gated)
    yield held
    held.open()  # whatever the test did, nothing stays held
