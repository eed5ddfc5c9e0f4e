"""Which packages a plain `pip install .` carries (the rest of the metadata is in pyproject.toml).

Every package under vidgan/ is found, never listed by hand (a hand-made list once left vidgan.train and
vidgan.metrics out). checkpoints/ stays at the top of the repository but installs as vidgan.shipped, so
the shipped models are found after a plain install too: pyproject.toml cannot say both.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["vidgan", "vidgan.*"]), "vidgan.shipped"],
    package_dir={"vidgan.shipped": "checkpoints"},
)
