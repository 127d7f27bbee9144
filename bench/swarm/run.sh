#!/usr/bin/env bash
# The swarm benchmark (bench/run swarm), in two parts that end in one JSON line:
#   terminal.sh  part one: the thin terminal, p2pims-ue beside aria2c and transmission-cli
#                (memory and CPU of one fetch); its figures as they are
#   cells.sh     part two: N terminals in network namespaces grouped into cells, shaped links,
#                against the fluid bound, with the operator's policy and without; its figures
#                prefixed (n20_on_..., ...)
# Environment: BENCH_SWARM_PART (all, terminal or cells) and each part's (bench/README.md).
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

part=${BENCH_SWARM_PART:-all}
[[ $part == all || $part == terminal || $part == cells ]] ||
  die "BENCH_SWARM_PART must be all, terminal or cells, not $part"
bench_build p2pims-rights p2pims-charging p2pims-tracker p2pims-sip-edge p2pims-origin p2pims-ue p2pimsctl

fields=()
# run_part SCRIPT: runs one part and keeps the members of the JSON object it prints last.
run_part() {
  local out
  out=$(bash "$BENCH_SRC/bench/swarm/$1") || die "$1 failed"
  out=$(tail -n 1 <<<"$out")
  [[ $out == "{"*"}" ]] || die "$1 printed no JSON object"
  out=${out#\{}
  fields+=("${out%\}}")
}
[[ $part == cells ]] || run_part terminal.sh
[[ $part == terminal ]] || run_part cells.sh
IFS=,
printf '{"bench":"swarm",%s}\n' "${fields[*]}"
