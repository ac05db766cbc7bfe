"""perftest's `ib_write_bw` (https://github.com/linux-rdma/perftest): RDMA write bandwidth through each HCA port.

The node's own active InfiniBand ports test each other in a ring, all at once: port i writes to
port i+1 (the last to the first; a node with one port writes to itself), so each port sends in one
run and receives in another, through its cable and the leaf switch. A port's figure is the better of
its two runs: a port with a fault drags down both of its runs, a healthy neighbour only one of its
own. (A fault in one direction only is then not told apart from a slow neighbour; the neighbour's
other run, and ib.errors, say which.) Each side uses the memory of the GPU nearest its HCA
(`--use_cuda=<GPU>`, GPUDirect RDMA), else host memory; a run that fails on GPU memory (perftest built
without CUDA, no nvidia-peermem or DMA-BUF) is repeated on host memory, and the facts say which
memory each port's figure used.

Command, as Azure's GPUDirect check runs it (azurehpc-health-checks, customTests/
azure_ib_write_bw_gdr.nhc: 8 MiB messages, `-F --report_gbits`), for a fixed duration:
`ib_write_bw -d mlx5_0 -i 1 -s 8388608 -D <s> -F --report_gbits -p <tcp port> [--use_cuda=<gpu>] [localhost]`.
The result table's last row (the largest size, printed last) gives the average. Without
`--report_gbits` perftest prints MB/sec (MiB/sec from perftest 24.x); both mean 2^20 bytes
(perftest src/perftest_parameters.c: `format_factor = (user_param->report_fmt == MBS) ? 0x100000 :
125000000`), so 24056.72 MB/sec is 201.8 Gb/s.
"""

from __future__ import annotations

import re

from readycheck.load.backends import tool_missing
from readycheck.perf.plan import Port
from readycheck.perf.session import Outcome, Session, settle

NAME = "perftest"
BINARY = "ib_write_bw"
TESTS = ("ib",)
MESSAGE_BYTES = 8388608
FIRST_TCP_PORT = 18515  # perftest's default; the ring uses one per run
SERVER_START_S = 2.0  # the servers listen before the clients connect
RUN_S_MAX = 5
HEADER = re.compile(r"BW average\[(Gb|MB|MiB)/sec\]")


def why_not() -> str | None:
    return tool_missing(BINARY, f"{BINARY} (perftest)")


def command(port: Port, tcp_port: int, seconds: int, gpu_memory: bool, server: str | None = None) -> list[str]:
    argv = [BINARY, "-d", port.device, "-i", str(port.port), "-s", str(MESSAGE_BYTES), "-D", str(seconds), "-F",
            "--report_gbits", "-p", str(tcp_port)]
    if gpu_memory and port.gpu is not None:
        argv.append(f"--use_cuda={port.gpu}")
    return argv + ([server] if server else [])


def parse(text: str) -> float | None:
    """The average bandwidth of the result table's last row in Gb/s, or None without a result row."""
    factor, gbps = None, None
    for line in text.splitlines():
        header = HEADER.search(line)
        if header:
            factor = 1.0 if header.group(1) == "Gb" else 2**20 * 8 / 1e9
            continue
        tokens = line.split()
        if factor is not None and len(tokens) >= 4 and tokens[0].isdigit() and tokens[1].isdigit():
            try:
                gbps = float(tokens[3]) * factor
            except ValueError:
                continue
    return None if gbps is None else round(gbps, 2)


def memory(port: Port, gpu_memory: bool) -> str:
    return f"gpu{port.gpu}" if gpu_memory and port.gpu is not None else "host"


def _ring(ports: list[Port]) -> list[tuple[Port, Port]]:
    """(sender, receiver) runs: each port writes to the next, the last to the first."""
    return [(port, ports[(i + 1) % len(ports)]) for i, port in enumerate(ports)]


def _round(session: Session, runs: list[tuple[Port, Port]], gpu_memory: bool, limit: float) -> list[Outcome]:
    seconds = max(1, min(RUN_S_MAX, int(limit - SERVER_START_S) // 2))
    servers = [command(receiver, FIRST_TCP_PORT + i, seconds, gpu_memory) for i, (_, receiver) in enumerate(runs)]
    clients = [command(sender, FIRST_TCP_PORT + i, seconds, gpu_memory, "localhost")
               for i, (sender, _) in enumerate(runs)]
    label = f"{BINARY} ({len(runs)} runs, {'GPU' if gpu_memory else 'host'} memory)"
    return session.run(label, servers + clients, limit, delays=[0.0] * len(servers) + [SERVER_START_S] * len(clients))


def measure(session: Session, tests: list[str], limit: float) -> None:
    runs = _ring(session.plan.ports)
    gpu_memory = any(port.gpu is not None for port in session.plan.ports)
    all_outcomes, budget = [], limit
    while runs and not session.interrupted:
        start = session.elapsed()
        outcomes = _round(session, runs, gpu_memory, limit)
        all_outcomes += outcomes
        failed = []
        for i, (sender, receiver) in enumerate(runs):
            client, server = outcomes[len(runs) + i], outcomes[i]
            gbps = parse(client.output) or parse(server.output)
            if gbps is None:
                failed.append((sender, receiver))
                continue
            session.results.port_run(sender.device, sender.port, gbps, NAME, memory(sender, gpu_memory))
            session.results.port_run(receiver.device, receiver.port, gbps, NAME, memory(receiver, gpu_memory))
        limit -= session.elapsed() - start
        if not gpu_memory or limit <= SERVER_START_S + 1:
            break
        runs, gpu_memory = failed, False  # try what failed once more, on host memory
    settle(session, NAME, tests, all_outcomes, budget)
