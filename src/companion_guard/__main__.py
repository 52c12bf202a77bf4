"""``python -m companion_guard`` runs the command line."""

from companion_guard.cli import main

main()
