"""`python -m readycheck` runs the same command line as the `readycheck` script."""

from readycheck.entry import main

main()
