"""Order files: TOML and CSV read alike, every key optional, bad files refused with the file and key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from readycheck.errors import InputError
from readycheck.order import KEYS, load

ORDERS = Path(__file__).parent / "data" / "orders"
EXPECTED = {
    "system_model": "DGXH100", "cpu_model": "Xeon(R) Platinum 8480", "memory_gib": 2048,
    "gpu_model": "NVIDIA H100 80GB HBM3", "gpu_count": 8,
    "gpu_serials": [f"165012403159{n}" for n in range(8)], "hca_count": 8, "nvme_count": 8, "nvme_size_tb": 3.84,
}


@pytest.mark.parametrize("name", ["dgx-h100.toml", "dgx-h100.csv"])
def test_toml_and_csv_say_the_same(name):
    order = load(ORDERS / name)
    assert order.items == EXPECTED and order.path.endswith(name)


def test_every_key_is_optional(tmp_path):
    (tmp_path / "empty.toml").write_text("")
    (tmp_path / "one.csv").write_text("gpu_count,4\n")
    assert load(tmp_path / "empty.toml").items == {}
    assert load(tmp_path / "one.csv").items == {"gpu_count": 4}


@pytest.mark.parametrize("name, text, message", [
    ("o.toml", 'gpu_count = 8\ngpu_serial = ["1"]\n', "unknown key 'gpu_serial'"),
    ("o.csv", "item,expected\ngpu_count,8\nnvme_sizes,3.84\n", "unknown key 'nvme_sizes'"),
    ("o.toml", 'gpu_count = "8"\n', "key 'gpu_count' must be int, found '8'"),
    ("o.toml", "gpu_serials = [1650124031590]\n", "key 'gpu_serials' must be list[str]"),
    ("o.csv", "gpu_count,eight\n", "key 'gpu_count' must be int, found 'eight'"),
    ("o.csv", "gpu_count,8\ngpu_count,7\n", "line 2: key 'gpu_count' given twice"),
    ("o.csv", "gpu_count,8,extra\n", "line 1: expected two cells"),
    ("o.toml", "gpu_count = \n", "invalid TOML"),
    ("o.json", "{}", "an order file is .toml or .csv"),
])
def test_bad_order_files_name_the_file_and_key(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_a_missing_order_file(tmp_path):
    with pytest.raises(InputError, match="cannot read order file"):
        load(tmp_path / "nope.toml")


def test_the_cli_compares_with_the_order_and_refuses_a_bad_one_with_exit_2(tmp_path):
    from test_cli import HEALTHY, readycheck

    done = readycheck("check", HEALTHY, "--order", ORDERS / "dgx-h100.toml", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"subject":"order:gpu_serials","observed"' in done.stdout.replace(" ", "")
    bad = tmp_path / "order.csv"
    bad.write_text("item,expected\ngpu_count,8\nram_gib,2048\n")
    done = readycheck("check", HEALTHY, "--order", bad)
    assert done.returncode == 2
    assert done.stderr.strip() == f"readycheck: {bad}: unknown key 'ram_gib' (allowed: {', '.join(KEYS)})"
