"""`python -m vidgan ...` (and `torchrun -m vidgan train ...`) run the command line."""

from vidgan.cli import main

main()
