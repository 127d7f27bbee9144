#!/usr/bin/env bash
# bench/run swarm, part two: swarm experiments in network namespaces (bench/README.md, swarm;
# docs/results.md). This part, in the root namespace, only makes the hub namespace (bench/lib/
# netns.sh) and runs cells_hub.sh in it, which starts PostgreSQL and the services there and runs
# the experiments; every namespace of the run, and whatever still runs in one, is removed when
# this script exits, also on failure or Ctrl-C. Prints cells_hub.sh's JSON object.
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=bench/lib/netns.sh
source "$BENCH_SRC/bench/lib/netns.sh"

((EUID == 0)) || die "part two needs root: it makes network namespaces and shapes links with tc"
command -v tc >/dev/null || die "tc is not installed (iproute2)"
export NETNS_TAG=$$
netns_refuse_taken || die "refusing to start"
trap netns_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
netns_hub_up
NETNS_MOUNT_PID=$$ ip netns exec "$(netns_name hub)" bash "$BENCH_SRC/bench/swarm/cells_hub.sh"
