"""host.cpu on the healthy HGX H100 facts (2 x Xeon Platinum 8480+, 112 cores, 8 GPUs)."""

from factsbuilder import hgx_h100, run_check

from readycheck.checks import host_cpu

ID = host_cpu.ID

PACK = "base"


def run(facts, **settings):
    [finding] = run_check(ID, facts, PACK, **settings)
    return finding


def with_host(**changes):
    facts = hgx_h100()
    facts["host"].update(changes)
    for field, value in changes.items():
        if value is None:
            facts["host"]["unavailable"][field] = "NotInSource"
    return facts


def test_unset_is_skipped():
    assert run(hgx_h100()).status == "skip"


def test_the_ordered_cpus_pass():
    finding = run(hgx_h100(), model=["xeon(r) platinum 8480"], min_sockets=2, min_cores_per_gpu=14)
    assert finding.status == "pass" and finding.message == "2 x Intel(R) Xeon(R) Platinum 8480+"


def test_another_model_one_socket_and_too_few_cores_all_fail_in_one_finding():
    facts = with_host(cpu_model="Intel(R) Xeon(R) Gold 6448Y", cpu_sockets=1, cpu_cores=32)
    finding = run(facts, model=["Platinum 8480"], min_sockets=2, min_cores_per_gpu=14)
    assert finding.status == "fail"
    assert finding.message == ("CPU Intel(R) Xeon(R) Gold 6448Y is not one of Platinum 8480; 1 CPU sockets, the "
                               "platform has 2; 32 cores for 8 GPUs is 4.0 per GPU, the platform needs 14")


def test_an_unread_model_is_unknown():
    finding = run(with_host(cpu_model=None), model=["Platinum 8480"], min_sockets=2)
    assert finding.status == "unknown" and finding.message == "cpu_model unavailable (NotInSource)"


def test_cores_per_gpu_without_gpus_is_unknown():
    assert run(hgx_h100(gpus=0), min_cores_per_gpu=14).status == "unknown"
