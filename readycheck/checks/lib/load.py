"""What every load check needs first: was there a load phase, and the samples per GPU; and what the error
counters read as the burn started and after it stopped say the load added."""

from __future__ import annotations

from typing import Any, NamedTuple

from readycheck.findings import PASS, SKIP, UNKNOWN, WARN, Finding


def samples_by_gpu(check_id: str, facts: dict[str, Any]) -> tuple[list[Finding], dict[int, list[dict]]]:
    """(findings that end the check, samples per GPU index).

    No load phase asked for: `skip` (the node was judged at idle only). Asked for but impossible
    (no backend, no NVML, no GPU) or no sample taken: `unknown` with the reason. Every GPU of the
    facts has an entry, an empty list when it was not sampled: the check says `no_sample` for it,
    so a GPU the load phase missed is `unknown`, never left out. A run that was
    interrupted or whose backend failed is still judged on what was sampled; load.power_reached
    reports the failure itself."""
    load = facts.get("load")
    if load is None:
        return [Finding(check_id, SKIP, "host", message="no load phase ran: the node was judged at idle only",
                        remedy="run `readycheck scan --load 300` for an acceptance run")], {}
    if load.get("status") == "unavailable":
        return [Finding(check_id, UNKNOWN, "host", message=f"load phase not run: {load.get('reason')}",
                        remedy="install DCGM, gpu_burn or readycheck[load] (PyTorch), then re-run --load")], {}
    samples = load.get("samples") or []
    if not samples:
        return [Finding(check_id, UNKNOWN, "host", message="the load phase took no sample",
                        remedy="re-run the load phase and check the NVML answers (nvidia-smi -q -d POWER)")], {}
    # Every GPU of the facts gets an entry, sampled or not: an empty list is `no_sample` in each check.
    # (Samples name GPUs by index: one whose index was not read cannot be told apart under load.)
    per_gpu: dict[int, list[dict]] = {gpu["index"]: [] for gpu in facts.get("gpus") or [] if gpu["index"] is not None}
    for item in samples:
        per_gpu.setdefault(item["gpu"], []).append(item)
    return [], per_gpu


def no_sample(check_id: str, index: int) -> Finding:
    """The finding for a GPU of the facts that the load phase took no sample of."""
    return Finding(check_id, UNKNOWN, f"gpu{index}", message="no sample taken under load",
                   remedy="re-run the load phase and check that NVML answers for this GPU (nvidia-smi -q -i "
                          f"{index} -d POWER)")


def peak(samples: list[dict], field: str) -> float | None:
    values = [s[field] for s in samples if s.get(field) is not None]
    return max(values) if values else None


def unsampled(samples: list[dict], field: str) -> str:
    """Why no sample of one GPU holds `field`: the reason its last sample gives, or "not sampled"."""
    return ((samples[-1].get("unavailable") or {}).get(field) if samples else None) or "not sampled"


class CounterPair(NamedTuple):
    """One GPU's error counters at the start and the end of the load phase, and the seconds between them."""

    start: dict[str, Any]
    end: dict[str, Any]
    seconds: float


def counter_pairs(facts: dict[str, Any]) -> dict[int, CounterPair] | None:
    """Per GPU index, its counters across the load phase; None when no load phase ran (judge at idle). A GPU
    whose counters were not read at both ends (a snapshot from before they were) has no entry."""
    load = _ran(facts)
    if load is None:
        return None
    counters = load.get("counters") or {}
    start = {item["gpu"]: item for item in counters.get("start") or []}
    end = {item["gpu"]: item for item in counters.get("end") or []}
    return {index: CounterPair(start[index], end[index], end[index].get("t", 0) - start[index].get("t", 0))
            for index in start.keys() & end.keys()}


def loaded_links(facts: dict[str, Any]) -> dict[int, tuple[int | None, int | None]] | None:
    """Per GPU index, the PCIe link (generation, width) it reached under load: the highest sampled of each,
    None where no sample read it ((None, None) for a GPU of the facts with no sample); None when no load phase
    ran (judge at idle). Built in one pass over the samples."""
    load = _ran(facts)
    if load is None:
        return None
    sampled: dict[int, list[dict]] = {gpu["index"]: [] for gpu in facts.get("gpus") or []}
    for item in load.get("samples") or []:
        sampled.setdefault(item.get("gpu"), []).append(item)
    return {index: (peak(items, "pcie_link_gen_current"), peak(items, "pcie_link_width_current"))
            for index, items in sampled.items()}


def _ran(facts: dict[str, Any]) -> dict[str, Any] | None:
    """The load phase's facts, or None when none ran (not asked for, or impossible): judge at idle."""
    load = facts.get("load")
    return None if load is None or load.get("status") == "unavailable" else load


def with_history(loaded: Finding, idle: Finding) -> Finding:
    """One finding for a counter judged under load (`loaded`) that also ran before it (`idle`: since the
    driver loaded; its message says so). The load's judgement stands; the history turns a pass into a
    warning where it is over the pack's figure, or `unknown` where it was not read, and is told in the
    message."""
    status = idle.status if loaded.status == PASS and idle.status in (WARN, UNKNOWN) else loaded.status
    return loaded._replace(status=status, message=f"{loaded.message}; {idle.message}",
                           remedy=loaded.remedy or (idle.remedy if status != PASS else ""))
