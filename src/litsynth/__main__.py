"""``python -m litsynth`` = the ``litsynth`` command."""

from litsynth.cli import main

main()
