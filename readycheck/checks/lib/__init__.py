"""What many checks share, grouped by concern, so each check module holds only its own judgement.

- `unread`: why a value is missing, in words, and the one rule for NotSupported;
- `gpus`: one finding per GPU, and GPUs that lack a feature;
- `fabric`: NVLink and InfiniBand/RoCE port shapes;
- `load`: the load phase's samples per GPU;
- `racks`: one finding per rack of the site file;
- `versions`: grouping versions across subjects (VBIOS, HCA firmware);
- `settings`: a pack that sets nothing to compare against;
- `ecc`: whether the platform runs its GPUs with ECC (gpu.ecc_mode's `expected`).
"""
