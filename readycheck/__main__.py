"""`python -m readycheck` runs the same command line as the `readycheck` script."""

from readycheck.cli import main

main()
