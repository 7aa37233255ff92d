"""``python -m app`` runs the ``rebound`` command."""

from .cli import main

main()
