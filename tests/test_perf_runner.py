"""`scan --perf` without a GPU: each tool's real output parsed, and the runner driving fake tools on PATH.

The fake tools are small scripts named like the real ones that print the real outputs in tests/data/perf
(see its NOTICE.md: which are real runs, which a project's fixture, which synthetic), so the command lines,
the time limits, Ctrl-C, the fallback from one tool to the next and the parsing all run for real.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from factsbuilder import hgx_h100

from readycheck.facts.schema import FACTS_V1, validate
from readycheck.perf import builtin, dcgm, nccl_tests, nvbandwidth, perftest, runner
from readycheck.perf.plan import plan
from readycheck.perf.progress import TerminalProgress
from readycheck.perf.results import PerfResults
from readycheck.perf.session import Session

DATA = Path(__file__).resolve().parent / "data" / "perf"
H100_P2P = DATA / "nvbandwidth_8xH100-80GB-HBM3_v0.4_d2d-read-ce.txt"
GH200 = DATA / "nvbandwidth_GH200_v0.6_superbench-fixture-edited.txt"
A100_NCCL = DATA / "all_reduce_perf_8xA100-SXM4-40GB.txt"
NCCL_MOCK = DATA / "all_reduce_perf_SYNTHETIC_dcgm-mock_new-columns.txt"
IB_8M = DATA / "ib_write_bw_loopback_8M_MB-per-sec.txt"
IB_ALL = DATA / "ib_write_bw_loopback_all-sizes_interleaved.txt"
IB_ROCE = DATA / "ib_write_bw_RoCE-100G_dmabuf_report-gbits.txt"
DCGM = DATA / "dcgmi-diag-j_4gpu_dcgm-fixture.txt"
TOOLS = ("dcgmi", "nvbandwidth", "all_reduce_perf", "ib_write_bw")


# ---- each tool's real output ---------------------------------------------------------------------

def test_nvbandwidth_reads_the_real_8x_h100_peer_matrix():
    matrices, devices = nvbandwidth.parse(H100_P2P.read_text())
    matrix = matrices["device_to_device_memcpy_read_ce"]
    assert devices == {}  # v0.4 prints no bus ids
    assert matrix[0, 0] is None and matrix[0, 7] == 371.67 and matrix[7, 0] == 370.51
    off_diagonal = [v for (a, b), v in matrix.items() if a != b]
    assert len(off_diagonal) == 56 and min(off_diagonal) == 370.26 and max(off_diagonal) == 372.96


def test_nvbandwidth_reads_the_host_matrices_and_bus_ids_of_the_gh200_format_variant():
    # A superbenchmark fixture its authors edited (three columns for one GPU): the format, not the figures.
    matrices, devices = nvbandwidth.parse(GH200.read_text())
    assert devices == {0: "00000009:01:00"}
    assert matrices["host_to_device_memcpy_ce"][0, 0] == 369.36 and matrices["device_to_host_memcpy_ce"][0, 0] == 295.15
    assert "device_to_device_memcpy_read_ce" not in matrices  # waived on one GPU


def test_nccl_tests_reads_the_largest_size_of_the_real_8x_a100_run():
    assert nccl_tests.parse(A100_NCCL.read_text()) == nccl_tests.Run(8, 8589934592, 235.26)


def test_nccl_tests_finds_the_columns_by_name_in_the_newer_layout():
    # DCGM's synthetic mock: root, #wrong and #iters columns; one rank.
    assert nccl_tests.parse(NCCL_MOCK.read_text()) == nccl_tests.Run(1, 33554432, 0.0)
    assert nccl_tests.parse("# nThread 1 nGpus 8\n# Out of bounds values : 0 OK\n") is None


def test_ib_write_bw_in_gbits_and_in_perftests_mebibytes():
    assert perftest.parse(IB_ROCE.read_text()) == 92.31  # NVIDIA's RoCE example, --report_gbits, last row
    # MB/sec is 2^20 bytes (perftest_parameters.c format_factor 0x100000): 24056.72 MB/s is 201.8 Gb/s.
    assert perftest.parse(IB_8M.read_text()) == 201.8
    assert perftest.parse(IB_ALL.read_text()) == pytest.approx(23240.68 * 2**20 * 8 / 1e9, abs=0.01)
    assert perftest.parse("Couldn't connect to localhost:18515\n") is None


def test_dcgmi_diag_json_gives_each_gpus_best_pcie_figures():
    figures, runtime_error = dcgm.parse(DCGM.read_text())
    assert runtime_error is None
    assert figures[0] == {"d2h_gb_per_s": 13.08, "h2d_gb_per_s": 12.13}
    assert sorted(figures) == [0, 1, 2, 3]


def test_dcgm_4_layout_and_its_runtime_error_are_read():
    text = json.dumps({"DCGM Diagnostic": {"test_categories": [{"category": "Integration", "tests": [
        {"name": "pcie", "results": [
            {"entity_group": "GPU", "entity_group_id": 1, "entity_id": 5, "status": "Pass",
             "info": ["GPU to Host bandwidth:\t\t55.01 GB/s", "Host to GPU bandwidth:\t\t54.2 GB/s",
                      "GPU to Host bandwidth:\t\t20.4 GB/s"]}],
         "test_summary": {"status": "Pass"}}]}], "runtime_error": "one GPU was busy"}})
    figures, runtime_error = dcgm.parse("dcgmi prints this first\n" + text + "\ntrailing line")
    assert figures == {5: {"d2h_gb_per_s": 55.01, "h2d_gb_per_s": 54.2}} and runtime_error == "one GPU was busy"
    with pytest.raises(ValueError):
        dcgm.parse("Error: unable to establish a connection to the specified host: localhost")


def test_nvbandwidth_maps_cuda_devices_to_the_facts_gpus_by_bus_id():
    facts = hgx_h100(2)
    text = ("Device 0: NVIDIA H100 80GB HBM3 (00000000:3b:00)\nDevice 1: NVIDIA H100 80GB HBM3 (00000000:19:00)\n"
            "Running host_to_device_memcpy_ce.\nmemcpy CE CPU(row) -> GPU(column) bandwidth (GB/s)\n"
            "          0         1\n 0     55.10     27.00\n\nSUM host_to_device_memcpy_ce 82.10\n")
    session = _session(facts)
    nvbandwidth.record(session, *nvbandwidth.parse(text))
    gpus = session.results.gpus
    assert gpus[1]["h2d_gb_per_s"] == 55.1 and gpus[0]["h2d_gb_per_s"] == 27.0  # CUDA 1 is bus 19, NVML's gpu0


def _session(facts):
    node = plan(facts)
    return Session(PerfResults(60, node.gpus, [(p.device, p.port) for p in node.ports]), node, 60)


# ---- the runner, with fake tools -----------------------------------------------------------------

def fake_tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport os, sys, time\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def prints(fixture: Path) -> str:
    return f"sys.stdout.write(open({str(fixture)!r}).read())"


GEMM_LINES = "\n".join(json.dumps(line) for line in [
    {"running": "gemm"},
    *({"test": "gemm", "gpu": g, "dtype": d, "tflops": t} for g in range(8)
      for d, t in (("bf16", 660.0), ("fp16", 661.0), ("tf32", 340.0), ("fp8", 1250.0))),
    {"running": "pcie"},
    *({"test": "pcie", "gpu": g, "h2d_gb_per_s": 55.1, "d2h_gb_per_s": 55.0} for g in range(8)),
    {"running": "memory_bandwidth"},
    *({"test": "memory_bandwidth", "gpu": g, "memory_bandwidth_gb_per_s": 2540.0} for g in range(8)),
])


@pytest.fixture
def tools(tmp_path, monkeypatch):
    """A PATH holding only the fake tools this test writes; the builtin replaced by a script printing GEMM_LINES."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    script = tmp_path / "builtin.py"
    script.write_text(f"print({GEMM_LINES!r})\n")
    monkeypatch.setattr(builtin, "why_not", lambda: None)
    monkeypatch.setattr(builtin, "command", lambda tests, seconds, size: [sys.executable, str(script)])
    monkeypatch.setattr(perftest, "SERVER_START_S", 0.2)  # fake servers listen at once
    return folder


def test_every_tool_present_each_test_from_the_best_one(tools):
    fake_tool(tools, "dcgmi", prints(DCGM))  # GPUs 0-3 only
    fake_tool(tools, "nvbandwidth", prints(H100_P2P))  # pairs only: host copies fall to the builtin
    fake_tool(tools, "all_reduce_perf", prints(A100_NCCL))
    fake_tool(tools, "ib_write_bw", prints(IB_ROCE))
    perf = runner.run(hgx_h100(), 60)
    assert perf["status"] == "completed"
    assert perf["sources"] == {"pcie": "dcgm", "memory_bandwidth": "builtin", "gemm": "builtin", "p2p": "nvbandwidth",
                               "nccl": "nccl-tests", "ib": "perftest"}
    assert perf["backend"] == "dcgm+builtin+nvbandwidth+nccl-tests+perftest"
    gpus = {g["index"]: g for g in perf["gpus"]}
    assert gpus[0]["h2d_gb_per_s"] == 12.13 and gpus[7]["h2d_gb_per_s"] == 55.1  # DCGM's 4 GPUs, then the builtin
    assert gpus[3]["gemm_tflops"]["bf16"] == 660.0 and gpus[3]["memory_bandwidth_gb_per_s"] == 2540.0
    pair = next(p for p in perf["p2p"] if (p["gpu_a"], p["gpu_b"]) == (2, 4))
    assert (pair["a_to_b_gb_per_s"], pair["b_to_a_gb_per_s"], pair["bandwidth_gb_per_s"]) == (372.96, 370.38, 370.38)
    assert perf["nccl"] == [{"op": "all_reduce", "ranks": 8, "size_bytes": 8589934592, "busbw_gb_per_s": 235.26,
                             "unavailable": {}}]
    assert {p["device"]: p["bandwidth_gbps"] for p in perf["ib"]} == {f"mlx5_{i}": 92.31 for i in range(8)}
    assert perf["errors"] == [] and perf["elapsed_s"] < 60
    facts = hgx_h100()
    facts["perf"] = perf
    assert validate(facts) == []
    jsonschema.validate(facts, FACTS_V1)


def test_the_tools_number_gpus_as_nvml_does_and_see_every_gpu(tools):
    # CUDA numbers GPUs fastest first unless told otherwise; CUDA_VISIBLE_DEVICES (set to 3 here) would hide GPUs.
    fake_tool(tools, "nvbandwidth", "ok = os.environ.get('CUDA_DEVICE_ORDER') == 'PCI_BUS_ID' and "
              f"'CUDA_VISIBLE_DEVICES' not in os.environ\nif ok: {prints(H100_P2P)}")
    perf = runner.run(hgx_h100(), 60)
    assert perf["sources"]["p2p"] == "nvbandwidth"


def test_a_tool_past_its_limit_is_stopped_and_what_it_printed_is_kept(tools, monkeypatch):
    # nvbandwidth prints the first rows of its matrix, then hangs.
    head = "".join(H100_P2P.read_text().splitlines(keepends=True)[:25])
    fake_tool(tools, "nvbandwidth", f"sys.stdout.write({head!r}); sys.stdout.flush(); time.sleep(300)")
    monkeypatch.setattr(builtin, "why_not", lambda: "PyTorch is not installed")
    monkeypatch.setattr(runner, "MIN_LIMIT_S", 0.5)
    began = time.monotonic()
    perf = runner.run(hgx_h100(), 6)  # nvbandwidth's share: 0.2 x 6 s
    assert time.monotonic() - began < 20
    pairs = {(p["gpu_a"], p["gpu_b"]): p for p in perf["p2p"]}
    assert pairs[0, 1]["a_to_b_gb_per_s"] == 370.9  # row 0 was printed
    assert pairs[6, 7]["bandwidth_gb_per_s"] is None and pairs[6, 7]["unavailable"]["bandwidth_gb_per_s"] == "Timeout"
    assert "pcie, memory_bandwidth, p2p: nvbandwidth stopped at its 1 s limit" in perf["errors"]


def test_ctrl_c_stops_the_run_and_keeps_what_was_measured(tools):
    fake_tool(tools, "dcgmi", prints(DCGM))
    fake_tool(tools, "nvbandwidth", "time.sleep(300)")
    fake_tool(tools, "all_reduce_perf", prints(A100_NCCL))

    def progress(label, elapsed, seconds):
        if label.startswith("nvbandwidth"):
            raise KeyboardInterrupt

    perf = runner.run(hgx_h100(), 60, progress)
    assert perf["status"] == "interrupted"
    assert {g["index"]: g["h2d_gb_per_s"] for g in perf["gpus"]}[0] == 12.13  # DCGM's figure, measured before
    assert perf["nccl"] == [] and perf["unavailable"]["nccl"] == "Interrupted"  # never started
    assert "pcie, memory_bandwidth, p2p: nvbandwidth stopped by Ctrl-C" in perf["errors"]


def test_no_tool_at_all_names_each_missing_one(tools, monkeypatch):
    monkeypatch.setattr(builtin, "why_not", lambda: "PyTorch is not installed (pip install 'readycheck[load]')")
    perf = runner.run(hgx_h100(), 60)
    assert perf["status"] == "completed" and perf["backend"] is None
    assert perf["unavailable"] == {t: "NotFound" for t in ("pcie", "memory_bandwidth", "gemm", "p2p", "nccl", "ib")}
    assert "ib: ib_write_bw (perftest) not on PATH" in perf["errors"]
    assert "gemm: PyTorch is not installed (pip install 'readycheck[load]')" in perf["errors"]
    assert perf["gpus"][0]["unavailable"]["h2d_gb_per_s"] == "NotFound"


def test_a_failing_tool_leaves_its_test_to_the_next_and_its_error_is_kept(tools):
    fake_tool(tools, "dcgmi", "print('Error: unable to establish a connection to the specified host: localhost')"
                              "\nsys.exit(255)")
    perf = runner.run(hgx_h100(), 60)
    assert perf["sources"]["pcie"] == "builtin"
    assert any(e.startswith("pcie: dcgm exited with status 255: Error: unable to establish") for e in perf["errors"])


def test_ib_runs_a_ring_on_gpu_memory_and_falls_back_to_host_memory(tools):
    # This ib_write_bw has no CUDA support, as a distribution's perftest often has not.
    fake_tool(tools, "ib_write_bw", "if any(a.startswith('--use_cuda') for a in sys.argv):\n"
                                    "    print(\"ib_write_bw: unrecognized option '--use_cuda'\"); sys.exit(1)\n"
                                    f"{prints(IB_ROCE)}")
    facts = hgx_h100(2)
    facts["infiniband"] = facts["infiniband"][:3]
    for port, bus in zip(facts["infiniband"], ("00000000:19:00.0", "00000000:3B:00.0", None)):
        port["gpu_paths"] = {bus: "PIX"} if bus else {}
    node = plan(facts)
    assert [p.gpu for p in node.ports] == [0, 1, None]
    assert perftest.command(node.ports[0], 18515, 5, True, "localhost")[-2:] == ["--use_cuda=0", "localhost"]
    perf = runner.run(facts, 60)
    assert [(p["device"], p["bandwidth_gbps"], p["memory"]) for p in perf["ib"]] == [
        ("mlx5_0", 92.31, "host"), ("mlx5_1", 92.31, "host"), ("mlx5_2", 92.31, "host")]
    assert any("unrecognized option '--use_cuda'" in e for e in perf["errors"])


def test_the_builtin_says_why_when_pytorch_is_missing():
    # Run for real: this environment has no PyTorch, so the child prints one error line and exits 2.
    done = builtin.parse(os.popen(" ".join(builtin.command(["gemm"], 5, 2**20))).read())
    if any("running" in item for item in done):
        pytest.skip("PyTorch is installed here")
    assert done == [{"error": done[0]["error"]}] and done[0]["error"].startswith("gemm: PyTorch is not importable")


def test_without_a_gpu_perf_is_unavailable_with_nvmls_reason():
    facts = hgx_h100()
    facts["gpus"], facts["nvidia"]["nvml_available"] = [], False
    facts["nvidia"]["nvml_error"] = "libnvidia-ml.so.1 not found"
    perf = runner.run(facts, 60)
    assert perf["status"] == "unavailable" and perf["reason"] == (
        "NVML found no GPU (NVML not available: libnvidia-ml.so.1 not found)")


def test_nccl_size_fits_the_gpus_memory():
    assert plan(hgx_h100()).nccl_bytes == 16 * 2**30  # 80 GB: Azure's 16 GiB
    facts = hgx_h100()
    for gpu in facts["gpus"]:
        gpu["memory_total_mib"] = 24564  # RTX 4090
    assert plan(facts).nccl_bytes == 4 * 2**30


def test_scan_with_perf_on_a_machine_without_gpu_says_why_and_still_judges():
    done = subprocess.run([sys.executable, "-m", "readycheck", "scan", "--perf", "--perf-seconds", "20", "-f", "json"],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    perf = {f["check"]: f for f in report["findings"] if f["check"].startswith("perf.")}
    assert len(perf) == 6 and {f["status"] for f in perf.values()} == {"unknown"}
    assert all(f["message"].startswith("--perf could not run: NVML found no GPU") for f in perf.values())
    assert report["nodes"][0]["facts"]["perf"]["status"] == "unavailable"


def test_the_progress_line_names_the_running_test_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        with TerminalProgress(stream) as progress:
            progress("builtin: gemm", 61.7, 150)
    assert terminal.getvalue() == "\rperf: builtin: gemm,  62 of 150 s\n" and log.getvalue() == ""
