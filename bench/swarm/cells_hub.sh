#!/usr/bin/env bash
# bench/run swarm, part two, inside the hub namespace (cells.sh made it): PostgreSQL and the four
# services (Release, build-bench/) with SIP and the tracker's BitTorrent endpoints on the hub's
# bridge address, then for each N of BENCH_SWARM_NS (10 20 40) one run with the operator's
# locality policy and one with random selection (the tracker restarted between them; at N = 20
# also one with the "wide" policy, a point between the two), each with
# a fresh file, fresh namespaces and fresh sessions (bench/lib/swarm_cells.sh). Prints one JSON
# object: each run's figures as n<N>_<on|off>_<figure>, and the targets' summary.
#
# Environment: BENCH_SWARM_NS ("10 20 40"), BENCH_SWARM_CELLS_MB (16, the file), BENCH_SWARM_UP_KBIT
# (4000, every terminal's upload), BENCH_SWARM_DOWN_KBIT (16000), BENCH_SWARM_ORIGIN_UP_KBIT
# (4000), BENCH_SWARM_CELL_SIZE (10 terminals a cell, at least 2 cells), BENCH_SWARM_POLICIES
# ("on off"), BENCH_SWARM_WIDE_AT (20: the Ns that also run the "wide" policy),
# BENCH_SWARM_METERED (0: terminals of each run started --metered, uploading nothing),
# BENCH_SWARM_TIMELINE (0; 1: each run's timeline.table, kept with BENCH_KEEP=1), BENCH_KEEP=1;
# SWARM_POLICY_*_ARGS and SWARM_ORIGIN_ARGS (p2pims-origin's further flags) as in
# bench/lib/swarm_cells.sh.
set -euo pipefail
# shellcheck source=bench/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=bench/lib/suite.sh
source "$BENCH_SRC/bench/lib/suite.sh"
# shellcheck source=bench/lib/netns.sh
source "$BENCH_SRC/bench/lib/netns.sh"
# shellcheck source=bench/lib/swarm_cells.sh
source "$BENCH_SRC/bench/lib/swarm_cells.sh"

readonly NS_LIST=${BENCH_SWARM_NS:-10 20 40}
readonly CELL_SIZE=${BENCH_SWARM_CELL_SIZE:-10}
readonly POLICIES=${BENCH_SWARM_POLICIES:-on off}
readonly WIDE_AT=${BENCH_SWARM_WIDE_AT-20}
SWARM_FILE_BYTES=$((${BENCH_SWARM_CELLS_MB:-16} * 1024 * 1024))
SWARM_UP_KBIT=${BENCH_SWARM_UP_KBIT:-4000}
SWARM_DOWN_KBIT=${BENCH_SWARM_DOWN_KBIT:-16000}
SWARM_ORIGIN_UP_KBIT=${BENCH_SWARM_ORIGIN_UP_KBIT:-4000}
SWARM_ORIGIN_DOWN_KBIT=$SWARM_DOWN_KBIT
SWARM_METERED=${BENCH_SWARM_METERED:-0}
SWARM_TIMELINE=${BENCH_SWARM_TIMELINE:-0}
SWARM_UE=$BENCH_BIN/tools/p2pims-ue/p2pims-ue
SWARM_ORIGIN=$BENCH_BIN/services/origin/p2pims-origin
SWARM_CTL=$BENCH_BIN/tools/p2pimsctl/p2pimsctl

load_at_start=$(load1)
started=$SECONDS
bench_tmpdir
SWARM_DIR=$BENCH_TMP/swarm
mkdir -p "$SWARM_DIR"
# The terminals reach sip-edge and the tracker's announce endpoints on the hub's address, the
# origin seeder rights' and the tracker's gRPC.
export SUITE_SIP_HOST=$NETNS_HUB_ADDR SUITE_ANNOUNCE_HOST=$NETNS_HUB_ADDR SUITE_GRPC_HOST=0.0.0.0
max_n=0
for n in $NS_LIST; do ((n > max_n)) && max_n=$n; done
bench_suite_up ""
# After the start: sip-edge makes its schema (the credentials' table) itself.
bench_psql -v subscribers="$max_n" -f "$BENCH_SRC/bench/swarm/subscribers.sql" >/dev/null
tracker_started() { BENCH_PIDS+=("$1"); }
SWARM_TRACKER_STARTED=tracker_started
swarm_setup

fields=""
time_ratio_max=0 in_cell_min=1 origin_n20=null beyond=0 misplaced=0
for n in $NS_LIST; do
  cells=$(((n + CELL_SIZE - 1) / CELL_SIZE))
  ((cells < 2)) && cells=2
  policies=$POLICIES
  [[ " $WIDE_AT " == *" $n "* ]] && policies+=" wide"
  for policy in $policies; do
    swarm_run "n$n-$policy" "$n" "$cells" "$policy" || die "run n$n-$policy failed (see $SWARM_DIR)"
    say "n$n-$policy: ${SWARM[time_s]} s (bound ${SWARM[bound_s]}, ratio ${SWARM[time_ratio]})," \
      "origin ${SWARM[origin_over_f]} F, in cell ${SWARM[in_cell_share]}" \
      "(across ${SWARM[across_over_f]} F, of it held ${SWARM[across_held_over_f]} F)," \
      "CDRs beyond a piece ${SWARM[cdr_beyond_piece]}"
    fields+="$(swarm_json "n${n}_${policy}_"),"
    beyond=$((beyond + SWARM[cdr_beyond_piece] + SWARM[sessions] - SWARM[cdr_matched]))
    misplaced=$((misplaced + SWARM[uploaders] - SWARM[uploaders_credited] + SWARM[non_uploaders_credited]))
    if [[ $policy == on ]]; then
      time_ratio_max=$(awk -v a="$time_ratio_max" -v b="${SWARM[time_ratio]}" 'BEGIN { print (b > a ? b : a) }')
      in_cell_min=$(awk -v a="$in_cell_min" -v b="${SWARM[in_cell_share]}" 'BEGIN { print (b < a ? b : a) }')
      ((n == 20)) && origin_n20=${SWARM[origin_over_f]}
    fi
  done
done

met() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "<=") ? v <= t : v >= t; print ok ? "true" : "false" }'; }
printf '{%s' "$fields"
printf '"cells_file_mb":%d,"cells_up_kbit":%d,"cells_down_kbit":%d,"cells_origin_up_kbit":%d,' \
  $((SWARM_FILE_BYTES >> 20)) "$SWARM_UP_KBIT" "$SWARM_DOWN_KBIT" "$SWARM_ORIGIN_UP_KBIT"
printf '"cells_cell_size":%d,"cells_policy_on":"%s","cells_policy_wide":"%s","cells_policy_off":"%s",' \
  "$CELL_SIZE" "$SWARM_POLICY_ON_ARGS" "$SWARM_POLICY_WIDE_ARGS" "$SWARM_POLICY_OFF_ARGS"
printf '"cells_origin":"%s",' "p2pims-origin${SWARM_ORIGIN_ARGS:+ $SWARM_ORIGIN_ARGS}"
printf '"time_ratio_max":%s,"time_target_met":%s,' "$time_ratio_max" "$(met "$time_ratio_max" '<=' 1.25)"
if [[ $origin_n20 != null ]]; then
  printf '"origin_over_f_n20":%s,"origin_target_met":%s,' "$origin_n20" "$(met "$origin_n20" '<=' 2)"
fi
printf '"in_cell_share_min":%s,"in_cell_target_met":%s,' "$in_cell_min" "$(met "$in_cell_min" '>=' 0.85)"
printf '"cdr_sessions_off_by_more_than_a_piece":%d,"incentive_misplaced":%d,' "$beyond" "$misplaced"
printf '"cells_seconds":%d,"cells_load1_at_start":%s,"cells_load1_at_end":%s}\n' \
  $((SECONDS - started)) "$load_at_start" "$(load1)"
