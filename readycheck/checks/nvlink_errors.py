"""nvlink.errors: no NVLink adds errors under load as DCGM counts them, nor has many since the driver loaded.

NVLink retries a flit that arrived corrupted (a CRC error, then a replay)
and retrains a link that lost sync (a recovery). A link that keeps doing it
slows every collective that crosses it and often ends in Xid 74 and a
crashed job. DCGM's health watch (NVIDIA/DCGM modules/health/
DcgmHealthWatch.cpp, common/DcgmGPUHardwareLimits.h) judges the increase:
any new replay or recovery fails ("Replay and recovery errors are failures,
not warnings"); CRC errors fail at 100 a second or more ("RM has informed us
that CRC errors only matter at rates of 100+ per second") and warn below.

Under `--load` the load phase reads each link's counters as the burn starts
and after it stops, and each link is judged that way on what the load added
(`max_crc_per_second`). At idle the counters hold everything since the
driver loaded or the GPU was reset: a link with more CRC, replay or recovery
errors than the pack's figure warns (it is history; run `--load` to judge
it), never fails. The finding names the links and counts.

NotSupported: GPUs without NVLink (PCIe parts) are skipped where the pack
says the platform has no NVLink; on a pack with nvlink.links
`expected_links`, a GPU that reports no NVLink is `unknown` here (nvlink.links
fails it). A GPU in MIG mode answers no NVLink query: `unknown`. A counter
that could not be read makes the GPU `unknown`, unless another link already
fails.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.fabric import per_nvlink_gpu
from readycheck.checks.lib.load import counter_pairs, with_history
from readycheck.checks.lib.unread import missing
from readycheck.facts.fields import NVLINK_ERROR_FIELDS
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject, nvidia_smi_id

ID = "nvlink.errors"
SETTINGS = {
    "max_crc_errors": Setting("int", 100, "CRC errors on one link since the driver loaded above which its GPU warns "
                                          "(at idle)"),
    "max_replay_errors": Setting("int", 0, "replays on one link since the driver loaded above which its GPU warns "
                                           "(at idle)"),
    "max_recovery_errors": Setting("int", 0, "recoveries (retrainings) on one link since the driver loaded above "
                                             "which its GPU warns (at idle)"),
    "max_crc_per_second": Setting("float", 100.0, "CRC errors a second under load at which a link fails (DCGM: "
                                                  "100); fewer, but some, warn"),
}
NEEDS = ("features",)

COUNTERS = dict(zip(NVLINK_ERROR_FIELDS, ("CRC", "replay", "recovery")))  # each counter, in words
READ_ERRORS = "read them with `nvidia-smi nvlink -e` as root and re-run readycheck as root"
RESET = ("drain the node, reset the GPU (nvidia-smi -r -i {index}) or reboot, run `dcgmi diag -r 2`, and call the "
         "platform vendor if the errors come back")


def check(facts, settings, features=None):
    pairs = counter_pairs(facts)

    def judge(gpu):
        idle = _idle(gpu, settings)
        if pairs is None:
            return idle
        return with_history(_loaded(gpu, pairs.get(gpu["index"]), settings["max_crc_per_second"]), idle)

    yield from per_nvlink_gpu(ID, facts, judge, features)


def _idle(gpu, settings):
    """The counters since the driver loaded, against the pack's figures: warn above them, never fail."""
    limits = {name: settings[f"max_{name}"] for name in COUNTERS}
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
    subject, expected = gpu_subject(gpu), {name: f"<= {limit} per link" for name, limit in limits.items()}
    if unread:
        note = f"; above the pack's figures: {'; '.join(over)}" if over else ""
        return Finding(ID, UNKNOWN, subject, totals, expected, "; ".join(unread) + note, READ_ERRORS)
    if over:
        return Finding(ID, WARN, subject, totals, expected, f"since the driver loaded: {'; '.join(over)}",
                       "judge the links under load (`readycheck scan --load 300`); "
                       + RESET.format(index=nvidia_smi_id(gpu)))
    return Finding(ID, PASS, subject, totals, expected,
                   f"{totals['crc_errors']} CRC, {totals['replay_errors']} replay, "
                   f"{totals['recovery_errors']} recovery errors on {len(gpu['nvlinks'])} links since the driver "
                   "loaded")


def _loaded(gpu, pair, max_crc_per_second):
    """What the load phase added to each link's counters, as DCGM judges an increase."""
    subject = gpu_subject(gpu)
    expected = {"replay_errors": "no increase", "recovery_errors": "no increase",
                "crc_errors": f"< {max_crc_per_second:g} a second"}
    links = {}
    if pair is not None and pair.start.get("nvlinks") is not None and pair.end.get("nvlinks") is not None:
        ends = {link["link"]: link for link in pair.end["nvlinks"]}
        links = {link["link"]: (link, ends.get(link["link"])) for link in pair.start["nvlinks"]}
    if not links:
        why = "the NVLink counters were not read at the start and the end of the load phase"
        return Finding(ID, UNKNOWN, subject, message=f"under load: {why}",
                       remedy="re-run `readycheck scan --load` with this readycheck, as root")
    failed, warned, unread = [], [], []
    added = dict.fromkeys(COUNTERS, 0)
    for number, (before, after) in sorted(links.items()):
        for name, word in COUNTERS.items():
            first, last = before.get(name), (after or {}).get(name)
            if first is None or last is None or last < first:
                why = "not read at the end" if after is None else missing(before, name) or missing(after, name) \
                    or "the counter went down (a GPU reset?)"
                unread.append(f"link {number} {word}: {why}")
                continue
            increase = last - first
            added[name] += increase
            if not increase:
                continue
            if name != "crc_errors":
                failed.append(f"link {number}: {increase} {word}")
            elif pair.seconds > 0 and increase / pair.seconds >= max_crc_per_second:
                failed.append(f"link {number}: {increase / pair.seconds:.1f} CRC a second")
            else:
                warned.append(f"link {number}: {increase} CRC")
    words = f"under load ({pair.seconds:.0f} s): "
    if failed:
        also = f"; also unread: {'; '.join(unread)}" if unread else ""
        return Finding(ID, FAIL, subject, added, expected, words + "; ".join(failed + warned) + also,
                       RESET.format(index=nvidia_smi_id(gpu)))
    if unread:
        return Finding(ID, UNKNOWN, subject, added, expected, words + "; ".join(unread), READ_ERRORS)
    if warned:
        return Finding(ID, WARN, subject, added, expected, words + "; ".join(warned) + f", below "
                       f"{max_crc_per_second:g} a second",
                       "watch the links: " + RESET.format(index=nvidia_smi_id(gpu)))
    return Finding(ID, PASS, subject, added, expected, words + f"no NVLink error added on {len(links)} links")
