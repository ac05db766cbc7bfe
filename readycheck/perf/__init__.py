"""Performance acceptance (`readycheck scan --perf`): short, bounded tests of what the node delivers.

Configuration checks cannot see a GPU on a riser that trained wide but runs slow, an NVLink pair at
half bandwidth or an HCA that links at 400 Gb/s and moves 200. This package measures them:

- `results.py`: the facts' `perf` object, filled test by test as tools report;
- `session.py`: runs the tools as child processes under a time limit, keeps what they printed when
  the limit or Ctrl-C stops them, and shows which test runs;
- one module per tool, each with its command line and a parser of the tool's real output:
  `dcgm.py` (`dcgmi diag` pcie plugin), `nvbandwidth.py`, `nccl_tests.py` (`all_reduce_perf`),
  `perftest.py` (`ib_write_bw`), and `builtin.py`, the PyTorch implementation that measures what no
  tool on the machine can;
- `runner.py`: picks the best tool for each test, splits the time budget, and returns `perf`.

Nothing here changes a GPU setting: no clock is locked, no mode is set. The figures therefore vary
with the GPUs' boost clocks and temperature, which is why the checks also compare each GPU, pair and
port with the node's own median.
"""
