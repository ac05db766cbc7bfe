"""What every load check needs first: was there a load phase, and the samples per GPU."""

from __future__ import annotations

from typing import Any

from readycheck.findings import SKIP, UNKNOWN, Finding


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
