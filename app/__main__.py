"""``python -m app`` runs the ``rebound`` command."""

from app.cli import main

main()
