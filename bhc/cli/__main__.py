"""``python -m bhc.cli``."""

from bhc.cli import main

main()
