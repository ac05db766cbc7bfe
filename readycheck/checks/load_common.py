"""What every load check needs first: was there a load phase, and the samples per GPU."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from readycheck.findings import SKIP, UNKNOWN, Finding


def samples_by_gpu(check_id: str, facts: dict[str, Any]) -> tuple[list[Finding], dict[int, list[dict]]]:
    """(findings that end the check, samples per GPU index).

    No load phase asked for: `skip` (the node was judged at idle only). Asked for but impossible
    (no backend, no NVML, no GPU) or no sample taken: `unknown` with the reason. A run that was
    interrupted or whose backend failed is still judged on what was sampled; load.power_reached
    reports the failure itself."""
    load = facts.get("load")
    if load is None:
        return [Finding(check_id, SKIP, "host", message="no load phase ran: the node was judged at idle only",
                        remedy="run `readycheck scan --load 300` for an acceptance run")], {}
    if load.get("status") == "unavailable":
        return [Finding(check_id, UNKNOWN, "host", message=f"load phase not run: {load.get('reason')}",
                        remedy="install DCGM, gpu_burn or readycheck[load] (PyTorch), then re-run --load")], {}
    per_gpu: dict[int, list[dict]] = defaultdict(list)
    for item in load.get("samples") or []:
        per_gpu[item["gpu"]].append(item)
    if not per_gpu:
        return [Finding(check_id, UNKNOWN, "host", message="the load phase took no sample",
                        remedy="re-run the load phase and check the NVML answers (nvidia-smi -q -d POWER)")], {}
    return [], dict(per_gpu)


def peak(samples: list[dict], field: str) -> float | None:
    values = [s[field] for s in samples if s.get(field) is not None]
    return max(values) if values else None
