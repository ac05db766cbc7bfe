"""The load phase: drive every GPU to full power while sampling NVML (`readycheck scan --load SECONDS`).

Idle readings cannot show a rack that trips at full load or cooling that gives
out after two minutes. A backend (`backends.py`) burns the GPUs in a child
process; a sampler thread reads each GPU's power, temperatures, SM clock and
clock event reasons every interval; the main thread shows progress and stops
everything on the time limit, on Ctrl-C, or when the backend dies. The result
is the facts' `load` object, so the run can be judged again later.
"""
