from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))  # the helpers in clips.py

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

torch.set_num_threads(2)


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


@pytest.fixture
def tiny_model(tmp_path) -> Path:
    """A small real ResNet generator saved in our format (random weights: for plumbing only)."""
    from vidgan.checkpoints import save_generator
    from vidgan.nets import GeneratorConfig, ResnetGenerator

    torch.manual_seed(0)
    path = tmp_path / "tiny.safetensors"
    save_generator(ResnetGenerator(GeneratorConfig(ngf=8, n_blocks=2)), path, {"description": "test model"})
    return path
