"""deploy/: the Kubernetes manifests are valid against the Kubernetes API's own schemas (kubernetes-validate,
strict: an unknown or misspelt field fails) and hold what they must (a ServiceAccount without a token,
node-critical priority, the namespace's Pod Security level, seccomp and dropped capabilities, GPUs the
toolkit hands over, the wait for the GPU Operator's toolkit, a deadline on the Job); every readycheck
command line in them and in the Dockerfile is one the CLI accepts, and the image has no CUDA
requirement. The DaemonSet's loop body and its init container run for real against a fake host tree.
No cluster and no container engine here: see docs/kubernetes.md for what is untested."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from readycheck import rulepack
from readycheck.cli import cli

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
FAKE_HOST = REPO / "tests" / "data" / "roots" / "hgx-h100"


def manifests():
    """{kind: document} over every deploy/kubernetes/*.yaml (one document of each kind)."""
    documents = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert document["kind"] not in documents, f"{path.name}: a second {document['kind']}"
            documents[document["kind"]] = document
    return documents


DOCS = manifests()


def parse(argv):
    """Parse a readycheck command line as the CLI would (types, choices, unknown options); raise if it is wrong."""
    assert argv[0] == "readycheck", argv
    command = cli.commands.get(argv[1])
    assert command is not None, f"no command {argv[1]!r}: {argv}"
    with command.make_context(argv[1], list(argv[2:])):
        pass


def test_parse_refuses_what_the_cli_refuses():
    parse(["readycheck", "scan", "--load", "60", "-f", "prom"])
    for wrong in (["readycheck", "scna"], ["readycheck", "scan", "--lod", "60"], ["readycheck", "check", "-f", "pdf"]):
        with pytest.raises((AssertionError, click.UsageError)):
            parse(wrong)


PODS = {kind: DOCS[kind]["spec"]["template"]["spec"] for kind in ("DaemonSet", "Job")}
# Kubernetes releases whose API schemas (shipped in kubernetes-validate's wheel) the manifests must pass:
# the oldest the GPU Operator's current releases support, and the newest the package knows.
KUBERNETES_VERSIONS = ("1.29.0", "latest")


def containers(pod):
    return pod.get("initContainers", []) + pod["containers"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_manifests_pass_the_kubernetes_api_schemas_strictly(version):
    import kubernetes_validate

    if version == "latest":
        version = kubernetes_validate.latest_version()
    for kind, doc in DOCS.items():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{kind} against Kubernetes {version}: {str(exc).splitlines()[0]}")


def test_the_schema_check_has_teeth():
    import kubernetes_validate

    pod = json.loads(json.dumps(DOCS["DaemonSet"]))
    pod["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True  # misspelt
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, "1.29.0", strict=True)


def test_pods_run_with_least_privilege_under_their_own_identity():
    account = DOCS["ServiceAccount"]
    assert account["automountServiceAccountToken"] is False
    for kind, pod in PODS.items():
        assert pod["serviceAccountName"] == account["metadata"]["name"], kind
        assert pod["automountServiceAccountToken"] is False, kind
        assert pod["priorityClassName"] == "system-node-critical", kind
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", kind
        for container in containers(pod):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and not context.get("privileged"), kind
            assert context["readOnlyRootFilesystem"] is True, kind
            assert context["capabilities"]["drop"] == ["ALL"], kind
            assert set(context["capabilities"].get("add", [])) <= {"SYSLOG", "DAC_READ_SEARCH"}, kind


def test_the_namespace_allows_what_the_pods_need_and_says_so():
    """hostPath volumes and hostNetwork are outside Pod Security's baseline level: the namespace must
    enforce `privileged`, or the pods are refused where baseline is the cluster's default."""
    labels = DOCS["Namespace"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert all(pod["hostNetwork"] for pod in PODS.values())
    assert all(any("hostPath" in volume for volume in pod["volumes"]) for pod in PODS.values())


def test_the_gpus_reach_the_pods_the_way_the_toolkit_expects():
    daemonset, job = PODS["DaemonSet"], PODS["Job"]
    for pod in (daemonset, job):
        assert pod["runtimeClassName"] == "nvidia"
    (watcher,) = daemonset["containers"]
    env = {item["name"]: item.get("value") for item in watcher["env"]}
    assert env["NVIDIA_VISIBLE_DEVICES"] == "all" and env["NVIDIA_DRIVER_CAPABILITIES"] == "utility"
    (acceptance,) = job["containers"]
    assert acceptance["resources"]["limits"]["nvidia.com/gpu"] >= 1
    assert "NVIDIA_VISIBLE_DEVICES" not in {item["name"] for item in acceptance.get("env", [])}, (
        "the device plugin sets it for the GPUs it hands over")


def test_the_acceptance_job_has_a_deadline_past_its_load_phase():
    job = DOCS["Job"]["spec"]
    (container,) = job["template"]["spec"]["containers"]
    load = int(container["command"][container["command"].index("--load") + 1])
    assert load + 600 <= job["activeDeadlineSeconds"] <= 3600 and job["backoffLimit"] == 0


def test_the_init_container_waits_for_the_gpu_operators_toolkit_flag(tmp_path):
    pod = PODS["DaemonSet"]
    (init,) = pod["initContainers"]
    (mount,) = init["volumeMounts"]
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["hostPath"]["path"] == mount["mountPath"] == "/run/nvidia/validations" and mount["readOnly"]
    shell, flag, script = init["command"]
    script = script.replace("/run/nvidia/validations", str(tmp_path))
    with pytest.raises(subprocess.TimeoutExpired):  # no flag: it waits
        subprocess.run([shell, flag, script], capture_output=True, timeout=2)
    (tmp_path / "toolkit-ready").write_text("")
    assert subprocess.run([shell, flag, script], capture_output=True, timeout=10).returncode == 0


def test_every_document_has_the_required_fields():
    assert set(DOCS) == {"Namespace", "ServiceAccount", "ConfigMap", "DaemonSet", "Job"}
    for kind, doc in DOCS.items():
        assert doc["apiVersion"] and (doc["metadata"].get("name") or doc["metadata"].get("generateName")), kind
        if kind != "Namespace":
            assert doc["metadata"]["namespace"] == DOCS["Namespace"]["metadata"]["name"], kind
    for kind in ("DaemonSet", "Job"):
        pod = DOCS[kind]["spec"]["template"]["spec"]
        assert pod["runtimeClassName"] == "nvidia", kind
        assert pod["nodeSelector"]["nvidia.com/gpu.present"] == "true", kind
        mounts = set()
        for container in containers(pod):
            assert container["image"] and container["command"], kind
            mounts |= {m["name"] for m in container["volumeMounts"]}
        assert mounts == {v["name"] for v in pod["volumes"]}, f"{kind}: mounts and volumes differ"
    daemonset = DOCS["DaemonSet"]["spec"]
    assert daemonset["selector"]["matchLabels"].items() <= daemonset["template"]["metadata"]["labels"].items()
    assert DOCS["Job"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_the_daemonset_mounts_the_host_read_only_and_writes_only_its_volumes():
    pod = DOCS["DaemonSet"]["spec"]["template"]["spec"]
    host_paths = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    (container,) = pod["containers"]
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    for path in ("/proc", "/sys"):
        mount = mounts[f"/host{path}"]
        assert host_paths[mount["name"]] == path and mount["readOnly"] is True, path
    writable = {path for path, mount in mounts.items() if not mount.get("readOnly")}
    assert writable == {"/reports", "/textfile", "/tmp"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert "nvidia.com/gpu" not in json.dumps(container.get("resources", {})), "the GPUs stay with the jobs"


def test_the_rule_pack_in_the_configmap_loads(tmp_path):
    pack_file = tmp_path / "rules.toml"
    pack_file.write_text(DOCS["ConfigMap"]["data"]["rules.toml"])
    pack = rulepack.load(str(pack_file))
    assert not pack.checks["driver.fabricmanager"]["enabled"]


def test_the_acceptance_job_runs_a_scan_with_a_load_phase_on_every_gpu():
    (container,) = DOCS["Job"]["spec"]["template"]["spec"]["containers"]
    argv = container["command"]
    parse(argv)
    assert argv[1] == "scan" and "--load" in argv
    assert container["resources"]["limits"]["nvidia.com/gpu"] >= 1


def dockerfile() -> dict[str, list[str]]:
    """The Dockerfile's instructions by keyword, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    instructions: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.setdefault(keyword, []).append(rest)
    return instructions


def test_the_image_has_no_cuda_requirement_and_its_default_command_parses():
    """The toolkit refuses to start a container whose NVIDIA_REQUIRE_CUDA the node's driver is too old
    for, and an nvidia/cuda base sets it: the old-driver node readycheck should report on would get no
    pod. The image builds on a plain base and switches the requirement check off besides."""
    instructions = dockerfile()
    base = next(arg for arg in instructions["ARG"] if arg.startswith("BASE_IMAGE="))
    assert not base.split("=", 1)[1].startswith("nvidia/cuda") and instructions["FROM"] == ["${BASE_IMAGE}"]
    env = dict(pair.split("=", 1) for line in instructions["ENV"] for pair in line.split())
    assert env["NVIDIA_DISABLE_REQUIRE"] == "true" and not any(name.startswith("NVIDIA_REQUIRE") for name in env)
    assert "NVIDIA_VISIBLE_DEVICES" not in env, "which GPUs a pod sees is the manifest's choice, not the image's"
    for copy in instructions["COPY"]:
        for source in copy.split()[:-1]:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    parse(json.loads(instructions["ENTRYPOINT"][0]) + json.loads(instructions["CMD"][0]))


def loop(tmp_path: Path, host: Path) -> tuple[str, dict]:
    """The DaemonSet's loop body, once, its paths mapped into tmp_path and /host onto `host`; and the
    environment it runs in (`readycheck` on PATH is this checkout's)."""
    (container,) = PODS["DaemonSet"]["containers"]
    shell, flag, script = container["command"]
    assert (shell, flag) == ("sh", "-c")
    body = script.split("while true; do", 1)[1].rsplit("done", 1)[0].splitlines()
    body = [line for line in body if line.strip() and not line.strip().startswith("sleep ")]
    for folder in ("etc-readycheck", "reports", "textfile", "bin"):
        (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / "etc-readycheck" / "rules.toml").write_text(DOCS["ConfigMap"]["data"]["rules.toml"])
    wrapper = tmp_path / "bin" / "readycheck"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m readycheck "$@"\n')
    wrapper.chmod(0o755)
    mapped = "\n".join(body)
    for inside, outside in (("/host", host), ("/reports", tmp_path / "reports"),
                            ("/textfile", tmp_path / "textfile"), ("/etc/readycheck", tmp_path / "etc-readycheck")):
        mapped = mapped.replace(f"{inside} ", f"{outside} ").replace(f"{inside}/", f"{outside}/")
    env = {**os.environ, "NODE_NAME": "gpu-b07-04", "PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"}
    return mapped, env


def test_the_daemonset_loop_runs_and_leaves_the_textfile(tmp_path):
    """Run the loop body once, the container's paths mapped into tmp_path and /host onto a fake HGX tree."""
    mapped, env = loop(tmp_path, FAKE_HOST)
    commands = re.findall(r"^\s*(?:if )?(readycheck (?:collect|check) [^;\n]*)", mapped, re.M)
    invocations = [shlex.split(found) for found in commands]
    assert [argv[1] for argv in invocations] == ["collect", "check"]
    for argv in invocations:
        parse(argv)  # --root must name a folder that exists: hence after mapping
    done = subprocess.run(["sh", "-c", mapped], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (tmp_path / "reports" / "gpu-b07-04").iterdir()) == [
        "readycheck-report.html", "readycheck-report.json", "readycheck-report.prom"]
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["gpu-b07-04", "snapshot.json"]
    assert [p.name for p in (tmp_path / "textfile").iterdir()] == ["readycheck.prom"]
    assert "readycheck_ready{" in (tmp_path / "textfile" / "readycheck.prom").read_text()


def test_the_textfile_is_renamed_into_place_from_a_name_node_exporter_skips():
    """node_exporter's textfile collector reads *.prom only: the copy is written under another name in
    the same folder and renamed, so a scrape never reads half a file."""
    (container,) = PODS["DaemonSet"]["containers"]
    (line,) = [line.strip() for line in container["command"][2].splitlines() if "/textfile/" in line]
    copy, move = (shlex.split(part) for part in line.split("&&"))
    assert copy[0] == "cp" and move[0] == "mv" and copy[2] == move[1]
    assert copy[2].startswith("/textfile/") and not copy[2].endswith(".prom")
    assert move[2] == "/textfile/readycheck.prom"


def test_a_failed_collect_judges_nothing_and_keeps_the_last_textfile(tmp_path):
    """The last run's snapshot is not judged again as if it were new when collect fails."""
    mapped, env = loop(tmp_path, FAKE_HOST)
    assert subprocess.run(["sh", "-c", mapped], capture_output=True, env=env, timeout=120).returncode == 0
    reports, textfile = tmp_path / "reports", tmp_path / "textfile" / "readycheck.prom"
    before = {p: p.stat().st_mtime_ns for p in reports.rglob("*")}
    metric = textfile.read_text()
    broken, env = loop(tmp_path, tmp_path / "no-such-host")  # collect refuses a --root that does not exist
    done = subprocess.run(["sh", "-c", broken], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and "readycheck collect failed" in done.stderr
    assert {p: p.stat().st_mtime_ns for p in reports.rglob("*")} == before, "the old snapshot was judged again"
    assert textfile.read_text() == metric and not (reports / "snapshot.json.new").exists()
