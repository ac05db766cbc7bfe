#!/usr/bin/env bash
# Stop the daemons that .ci/slurm-up.sh DIR started (by the pids they wrote under DIR); DIR stays.
set -uo pipefail

dir=${1:?usage: slurm-down.sh DIR}
pids=()
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -s "$pidfile" ] && pids+=("$(cat "$pidfile")")
done
[ ${#pids[@]} -eq 0 ] && exit 0
alive() {
    local pid
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
    return 1
}
kill "${pids[@]}" 2>/dev/null
for _ in $(seq 50); do
    alive || exit 0
    sleep 0.2
done
kill -KILL "${pids[@]}" 2>/dev/null
exit 0
