"""perf.gemm: each GPU multiplies matrices as fast as its kind does, in every tensor-core data type it has.

Dense GEMM is what training and inference spend their time in; a GPU that runs it slowly is held by
its clocks (power brake, thermal slowdown, a low application clock someone set) or is not the part it
claims. `scan --perf` times 8192^3 multiplies on every GPU at once in BF16, FP16, TF32 and, on
compute capability 8.9 and up, FP8 (PyTorch; no external tool is used), in TFLOPS. Each data type is
judged against its floor and against the node's median for that type; a type the GPU lacks (FP8
before Ada and Hopper) is left out, never unknown. No built-in pack sets a floor yet: NVIDIA
publishes peak, not measured, GEMM rates, so the check judges against the node's median only.

Without `--perf` this check is `skip`; a GPU not measured is `unknown` with the reason.

NotSupported does not apply: the figures are measured, not read from NVML. MIG: a GPU in MIG mode
runs CUDA work only inside its instances, so the whole-GPU test cannot run on it: it is not measured,
`unknown` with the reason.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.perf import MAX_BELOW_MEDIAN, judge, measured, rows
from readycheck.findings import gpu_subject

ID = "perf.gemm"
DTYPES = ("bf16", "fp16", "tf32", "fp8")
SETTINGS = {
    **{f"min_tflops_{dtype}": Setting("float", None, f"dense {dtype.upper()} GEMM floor in TFLOPS; "
                                                      "unset: judged against the node's median only")
       for dtype in DTYPES},
    "max_below_median": MAX_BELOW_MEDIAN,
}
REMEDY = ("look for clock event reasons under load (load.throttle, `nvidia-smi -q -d PERFORMANCE`) and a "
          "lowered application clock (`nvidia-smi -q -d CLOCK`); a GPU that stays slow goes back to the vendor")


def check(facts, settings):
    ended, perf = measured(ID, facts)
    yield from ended
    if ended:
        return
    gemms = [{**(gpu.get("gemm_tflops") or {}), "index": gpu["index"]} for gpu in perf.get("gpus") or []]
    floors = {dtype: settings[f"min_tflops_{dtype}"] for dtype in DTYPES}
    yield from judge(ID, rows(perf, "gemm", gemms, {dtype: dtype for dtype in DTYPES}, gpu_subject), floors,
                     settings["max_below_median"], "TFLOPS", REMEDY)
