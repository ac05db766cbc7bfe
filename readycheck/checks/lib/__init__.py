"""What many checks share, grouped by concern, so each check module holds only its own judgement.

- `unread`: why a value is missing, in words, and the one rule for NotSupported;
- `gpus`: one finding per GPU, and GPUs that lack a feature;
- `fabric`: NVLink and InfiniBand/RoCE port shapes;
- `load`: the load phase's samples per GPU;
- `racks`: one finding per rack of the site file;
- `versions`: grouping versions across subjects (VBIOS, HCA firmware);
- `settings`: a pack that sets nothing to compare against;
- `perf`: what every perf.* check needs (was --perf run, the floor and median judgements);
- `thermal`: temperature margins shared by the idle and loaded thermal checks;
- `expects`: what the pack says its platform has (ECC, row remapping, NVLink, ...), the line between
  `skip` and `unknown` for NotSupported.
"""
