"""deploy/: the Kubernetes manifests parse and hold what they must, and every readycheck command line in
them and in the Dockerfile is one the CLI accepts. The DaemonSet's loop body runs for real against a
fake host tree. No cluster and no container engine here: see docs/kubernetes.md for what is untested."""

import json
import os
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


def test_every_document_has_the_required_fields():
    assert set(DOCS) == {"Namespace", "ConfigMap", "DaemonSet", "Job"}
    for kind, doc in DOCS.items():
        assert doc["apiVersion"] and (doc["metadata"].get("name") or doc["metadata"].get("generateName")), kind
        if kind != "Namespace":
            assert doc["metadata"]["namespace"] == DOCS["Namespace"]["metadata"]["name"], kind
    for kind in ("DaemonSet", "Job"):
        pod = DOCS[kind]["spec"]["template"]["spec"]
        assert pod["runtimeClassName"] == "nvidia", kind
        assert pod["nodeSelector"]["nvidia.com/gpu.present"] == "true", kind
        for container in pod["containers"]:
            assert container["image"] and container["command"], kind
            mounts = {m["name"] for m in container["volumeMounts"]}
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
    assert writable == {"/reports", "/textfile"}
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


def test_the_dockerfile_builds_on_cuda_and_its_default_command_parses():
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    instructions = {}
    for line in lines:
        if line and not line[0].isspace() and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.setdefault(keyword, []).append(rest)
    base = next(arg for arg in instructions["ARG"] if arg.startswith("CUDA_IMAGE="))
    assert base.split("=", 1)[1].startswith("nvidia/cuda:") and instructions["FROM"] == ["${CUDA_IMAGE}"]
    for copy in instructions["COPY"]:
        for source in copy.split()[:-1]:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    parse(json.loads(instructions["ENTRYPOINT"][0]) + json.loads(instructions["CMD"][0]))


def test_the_daemonset_loop_runs_and_leaves_the_textfile(tmp_path):
    """Run the loop body once, the container's paths mapped into tmp_path and /host onto a fake HGX tree."""
    (container,) = DOCS["DaemonSet"]["spec"]["template"]["spec"]["containers"]
    shell, flag, script = container["command"]
    assert (shell, flag) == ("sh", "-c")
    body = script.split("while true; do", 1)[1].rsplit("done", 1)[0].splitlines()
    body = [line.strip() for line in body if line.strip() and not line.strip().startswith("sleep ")]

    (tmp_path / "etc-readycheck").mkdir()
    (tmp_path / "etc-readycheck" / "rules.toml").write_text(DOCS["ConfigMap"]["data"]["rules.toml"])
    for folder in ("reports", "textfile", "bin"):
        (tmp_path / folder).mkdir()
    wrapper = tmp_path / "bin" / "readycheck"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m readycheck "$@"\n')
    wrapper.chmod(0o755)
    mapped = "\n".join(body)
    for inside, outside in (("/host", FAKE_HOST), ("/reports", tmp_path / "reports"),
                            ("/textfile", tmp_path / "textfile"), ("/etc/readycheck", tmp_path / "etc-readycheck")):
        mapped = mapped.replace(f"{inside} ", f"{outside} ").replace(f"{inside}/", f"{outside}/")
    invocations = [shlex.split(line) for line in mapped.splitlines() if line.startswith("readycheck ")]
    assert [argv[1] for argv in invocations] == ["collect", "check"]
    for argv in invocations:
        parse(argv)  # --root must name a folder that exists: hence after mapping
    env = {**os.environ, "NODE_NAME": "gpu-b07-04", "PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["sh", "-c", mapped], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (tmp_path / "reports" / "gpu-b07-04").iterdir()) == [
        "readycheck-report.html", "readycheck-report.json", "readycheck-report.prom"]
    assert [p.name for p in (tmp_path / "textfile").iterdir()] == ["readycheck.prom"]
    assert "readycheck_ready{" in (tmp_path / "textfile" / "readycheck.prom").read_text()
