"""Published catalogues as data, apart from the checks that read them: what each NVIDIA clock event
reason means and what to do about it (`clock_events`), what each Xid means and the immediate action
NVIDIA's XID catalogue gives for it (`xid`), the GPU models by NVML name, family and form (`gpus`), and
ASHRAE's thermal classes of data-center air (`ashrae`)."""
