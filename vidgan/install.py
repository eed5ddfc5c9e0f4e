"""`python -m vidgan.install [PIP ARGS]`: install vidgan with the PyTorch build this machine can use.

On Linux, PyPI's torch is the CUDA build: a 5.7 GB environment, of no use without an NVIDIA GPU. So where
torch is not installed yet and no NVIDIA GPU answers, PyTorch's CPU build (0.75 GB installed) is installed
first, from PyTorch's own index; where that index cannot be reached, pip's usual choice is taken, with a
notice. Then `pip install` with the arguments given (default: `.`, this source tree). Runs from the source
tree before vidgan is installed: the standard library only.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
import sys

CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def has_nvidia_gpu() -> bool:
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True).returncode == 0


def needs_cpu_build() -> bool:
    """No torch yet, on Linux (PyPI's macOS and Windows wheels are CPU builds already), without a GPU."""
    return importlib.util.find_spec("torch") is None and platform.system() == "Linux" and not has_nvidia_gpu()


def main(args: list[str]) -> int:
    pip = [sys.executable, "-m", "pip", "install"]
    if needs_cpu_build():
        print("vidgan.install: no NVIDIA GPU here: installing PyTorch's CPU build first (0.75 GB installed, not "
              "the 5.7 GB CUDA build)", flush=True)  # fmt: skip
        done = subprocess.run([*pip, "torch", "--index-url", CPU_INDEX, "--timeout", "15", "--retries", "1"])
        if done.returncode:
            print(f"vidgan.install: {CPU_INDEX} cannot be reached: pip's default build follows", flush=True)
    return subprocess.run([*pip, *(args or ["."])]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
