"""NVIDIA's catalogues as data, apart from the checks that read them: what each clock event reason
means and what to do about it (`clock_events`), and what each Xid means and the immediate action
NVIDIA's XID catalogue gives for it (`xid`), and the GPU models by NVML name, family and form (`gpus`)."""
