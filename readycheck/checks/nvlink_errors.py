"""nvlink.errors: no NVLink has more CRC, replay or recovery errors than the pack allows.

NVLink retries a flit that arrived corrupted (a CRC error, then a replay)
and retrains a link that lost sync (a recovery). A few are survivable; a link
that keeps doing it slows every collective that crosses it and often ends in
Xid 74 and a crashed job. The counters run from the driver load or the last
GPU reset, so on a freshly booted node a healthy link shows none.

Each link is judged on its own: a link whose count of one kind is above the
threshold for that kind fails its GPU, and the finding names the link and the
counts. GPUs without NVLink (PCIe parts) are skipped; a counter that could
not be read makes the GPU `unknown`.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.fabric import per_nvlink_gpu
from readycheck.checks.lib.unread import missing
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, gpu_subject

ID = "nvlink.errors"
SETTINGS = {
    "max_crc_errors": Setting("int", 100, "CRC errors on one link (counted since the driver loaded) above which its "
                                          "GPU fails; DCGM's limit is 100 per second"),
    "max_replay_errors": Setting("int", 0, "replays on one link above which its GPU fails"),
    "max_recovery_errors": Setting("int", 0, "recoveries (retrainings) on one link above which its GPU fails"),
}
NEEDS = ("features",)

COUNTERS = {"crc_errors": "CRC", "replay_errors": "replay", "recovery_errors": "recovery"}
READ_ERRORS = "read them with `nvidia-smi nvlink -e` as root and re-run readycheck as root"


def check(facts, settings, features=None):
    limits = {name: settings[f"max_{name}"] for name in COUNTERS}

    def judge(gpu):
        subject = gpu_subject(gpu)
        totals = dict.fromkeys(COUNTERS, 0)
        over, unread = [], []
        for link in gpu["nvlinks"]:
            counts = []
            for name, word in COUNTERS.items():
                value = link.get(name)
                if value is None:
                    unread.append(f"link {link['link']}: {missing(link, name)}")
                    continue
                totals[name] += value
                if value > limits[name]:
                    counts.append(f"{value} {word}")
            if counts:
                over.append(f"link {link['link']}: {', '.join(counts)}")
        expected = {name: f"<= {limit} per link" for name, limit in limits.items()}
        if over:
            note = f" (also unread: {'; '.join(unread)})" if unread else ""
            return Finding(ID, FAIL, subject, totals, expected, f"NVLink errors since the driver loaded: "
                           f"{'; '.join(over)}{note}",
                           f"drain the node, reset the GPU (nvidia-smi -r -i {gpu['index']}) or reboot, run "
                           "`dcgmi diag -r 2`, and call the platform vendor if the errors come back")
        if unread:
            return Finding(ID, UNKNOWN, subject, totals, expected, "; ".join(unread), READ_ERRORS)
        return Finding(ID, PASS, subject, totals, expected,
                       f"{totals['crc_errors']} CRC, {totals['replay_errors']} replay, "
                       f"{totals['recovery_errors']} recovery errors on {len(gpu['nvlinks'])} links")

    yield from per_nvlink_gpu(ID, facts, judge, features)
