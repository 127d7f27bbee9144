# shellcheck shell=bash
# shellcheck disable=SC2034  # SWARM is this library's result, read by the callers
# One swarm experiment (bench/swarm part two, tests/e2e/swarm_cells_test.sh): N terminals
# (p2pims-ue, libtorrent) in network namespaces grouped into cells, each link shaped, the
# operator's origin seeder (p2pims-origin) in a namespace of its own, all against the real
# services running in the hub namespace, which is where this runs. Source tools/lib/suite.sh
# (the suite is up with SUITE_GRPC_HOST=0.0.0.0, sip-edge and the tracker's BitTorrent endpoints
# on the hub's address) and bench/lib/netns.sh first, and load bench/swarm/subscribers.sql.
#
#   SWARM_UE=.../p2pims-ue SWARM_ORIGIN=.../p2pims-origin SWARM_CTL=.../p2pimsctl
#   SWARM_DIR=/tmp/x SWARM_FILE_BYTES=$((16<<20))
#   SWARM_UP_KBIT=4000 SWARM_DOWN_KBIT=16000 SWARM_ORIGIN_UP_KBIT=4000 SWARM_ORIGIN_DOWN_KBIT=16000
#   swarm_setup                     # the incentive tariff, once
#   swarm_run n20-on 20 2 on        # LABEL N CELLS POLICY (on, wide, off: below)
#   echo "${SWARM[time_ratio]} ${SWARM[in_cell_share]} ${SWARM[cdr_beyond_piece]}"
#
# Every figure is measured in the run: distribution time from the terminals' own clocks (start
# of the process to the moment libtorrent had every piece checked), bytes per destination from
# the kernel (bench/lib/netns.sh), usage from charging's CDRs. swarm_run fails (non-zero, a
# message on stderr) when a terminal does not get the file; the figures say how well it went.

declare -gA SWARM=()

SWARM_PRICE_PER_MIB=${SWARM_PRICE_PER_MIB:-10}          # minor units (EUR cents) per MiB down
SWARM_INCENTIVE_PER_GIB=${SWARM_INCENTIVE_PER_GIB:-5120}  # minor units per GiB up: 5 per MiB
# Policies (services/tracker/README.md §6). on, the operator's: the whole cell and a peer of
# another cell (the area tier) in about four replies in five (0.004 of libtorrent's numwant 200);
# the terminals take from it only what their cell lacks (p2pims-ue --cell-guard, on by default).
# wide: four peers of other cells in every reply; off: no locality, a random sample of the swarm.
# In each the origin fills in while a terminal's own supply is short (no seeder yet). Without
# the policy the terminals do not guard their cell either: no locality anywhere, the baseline.
SWARM_POLICY_ON_ARGS=${SWARM_POLICY_ON_ARGS:---policy-tier-share=1,0.004,1,1}
SWARM_POLICY_WIDE_ARGS=${SWARM_POLICY_WIDE_ARGS:---policy-tier-share=1,0.02,1,1}
SWARM_POLICY_OFF_ARGS=${SWARM_POLICY_OFF_ARGS:---policy-locality=false}
SWARM_POLICY_OFF_UE_ARGS=${SWARM_POLICY_OFF_UE_ARGS---cell-guard=false}
# Further flags of p2pims-origin: none by default (--one-copy-first, every piece once before any
# twice); --one-copy-first=false for a plain seed; add --super-seeding for BEP 16 (each piece
# about once; with cells that hardly meet the swarm can stall: docs/results.md).
SWARM_ORIGIN_ARGS=${SWARM_ORIGIN_ARGS-}
# Further flags of every terminal (p2pims-ue fetch): none by default; --cell-guard=false lets a
# terminal take anything from peers of other cells (docs/terminal.md).
SWARM_UE_ARGS=${SWARM_UE_ARGS-}
SWARM_ORIGIN_ADDR=10.77.0.2
SWARM_ORIGIN_ADMIN=$SWARM_ORIGIN_ADDR:9105
# Piece size of the content in KiB (p2pimsctl content add --piece-kb); empty: libtorrent's choice
# (64 KiB for 16 MiB). 16: a piece is passed on only once whole, so the last pieces the origin
# sends reach everyone sooner (docs/results.md, finding 6).
SWARM_PIECE_KB=${SWARM_PIECE_KB-16}
# 1: every link's byte counters sampled every 0.25 s during the run (RUN/timeline.txt) and, by
# bench/swarm/timeline.py, a table of where the time went, second by second (RUN/timeline.table).
SWARM_TIMELINE=${SWARM_TIMELINE:-0}

swarm_say() { echo "swarm: $*" >&2; }
SWARM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# swarm_ratio A B: A / B with 3 decimals (0 when B is 0).
swarm_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print 0; else printf "%.3f\n", a / b }'; }

# The tariff that pays uploaders (charging gives incentives only through a tariff; price model
# per byte, so the sessions are credit-controlled and their UPDATEs/TERMINATION carry uploads).
swarm_setup() {
  "$SWARM_CTL" --charging "127.0.0.1:$CHARGING_GRPC" --actor swarm tariff put --id "swarm-$(date +%s)" \
    --effective-from "$(date +%s)" --currency EUR --incentive-per-gib "$SWARM_INCENTIVE_PER_GIB" \
    --incentive-same-area-per-gib "$SWARM_INCENTIVE_PER_GIB" \
    --incentive-same-cell-per-gib "$SWARM_INCENTIVE_PER_GIB" >"$SWARM_DIR/tariff.log" 2>&1 ||
    { swarm_say "tariff put failed: $(cat "$SWARM_DIR/tariff.log")"; return 1; }
}

# swarm_cell_id CELL: the utran-cell-id-3gpp a terminal of CELL claims (MCC 001, MNC 01, area
# 0001, cell number in 7 hex digits): locality path 001-01/0001/<cell>. Cell 0 is the origin's
# place, area 0000: another area, the network tier for every terminal.
swarm_cell_id() {
  if (($1 == 0)); then printf '0010100000000001'; else printf '001010001%07X' "$1"; fi
}

# swarm_restart_tracker ARGS: the tracker again with these policy flags (its swarms and counters
# start empty). SWARM_TRACKER_STARTED, when set, is called with the new process id.
swarm_restart_tracker() {
  SUITE_TRACKER_ARGS=$1
  suite_stop tracker
  suite_start tracker
  suite_wait_url "http://127.0.0.1:$TRACKER_ADMIN/readyz" 60 ||
    { swarm_say "the tracker did not become ready"; tail -n 5 "$SUITE_DIR/logs/tracker.log" >&2; return 1; }
  [[ -z ${SWARM_TRACKER_STARTED:-} ]] || "$SWARM_TRACKER_STARTED" "$(cat "$SUITE_DIR/run/tracker.pid")"
}

swarm_seeders() {
  "$SWARM_CTL" --tracker "127.0.0.1:$TRACKER_GRPC" --json swarm stats "$1" 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin).get("seeders", 0))' 2>/dev/null || echo 0
}

# swarm_start_origin NS ADDR CONTENT FILE DIR: the operator's origin seeder (p2pims-origin,
# identity $ORIGIN_SUBJECT, one of rights' operator seeds) in namespace NS at ADDR, its content
# directory DIR/origin holding FILE, until swarm_stop_origin; sets SWARM_ORIGIN_PID once the
# tracker counts it as a seeder. It reaches rights and the tracker over gRPC on the hub's address;
# its upload is the namespace's shaped link. Its log goes to DIR/origin.err.
swarm_start_origin() {
  local ns=$1 addr=$2 content=$3 file=$4 dir=$5
  mkdir -p "$dir/origin"
  cp "$file" "$dir/origin/"
  # shellcheck disable=SC2086  # SWARM_ORIGIN_ARGS are words
  ip netns exec "$ns" "$SWARM_ORIGIN" --content-dir "$dir/origin" --subject "$ORIGIN_SUBJECT" \
    --rights "$NETNS_HUB_ADDR:$RIGHTS_GRPC" --tracker "$NETNS_HUB_ADDR:$TRACKER_GRPC" \
    --bind "$addr" --port 6881 --locality 001-01 --node-id swarm --rescan-seconds 1 \
    --admin-listen "$SWARM_ORIGIN_ADMIN" ${SWARM_ORIGIN_ARGS} >"$dir/origin.out" 2>"$dir/origin.err" &
  SWARM_ORIGIN_PID=$!
  local deadline=$((SECONDS + 60))
  until (($(swarm_seeders "$content") >= 1)); do
    if ! kill -0 "$SWARM_ORIGIN_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      swarm_say "the origin did not join the swarm: $(tail -n 2 "$dir/origin.err")"
      return 1
    fi
    sleep 0.2
  done
}

# swarm_stop_origin DIR: keeps the origin's metrics in DIR/origin.metrics, then stops it (SIGTERM:
# it announces stopped and closes its sessions) within 30 s.
swarm_stop_origin() {
  curl -fsS "http://$SWARM_ORIGIN_ADMIN/metrics" >"$1/origin.metrics" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  kill -TERM "$SWARM_ORIGIN_PID" 2>/dev/null || true
  while kill -0 "$SWARM_ORIGIN_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$SWARM_ORIGIN_PID" 2>/dev/null || true
  wait "$SWARM_ORIGIN_PID" 2>/dev/null || true
}

# swarm_stop_pids PID...: SIGUSR2 (hang up once complete: final announce, BYE, summary), then
# waits up to 30 s for all, SIGKILL for what is left.
swarm_stop_pids() {
  local pid deadline=$((SECONDS + 30))
  kill -USR2 "$@" 2>/dev/null || true
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# swarm_json_field FILE KEY: a number from a flat JSON object (p2pims-ue's --summary).
swarm_json_field() { sed -n "s/.*\"$2\":\(-\{0,1\}[0-9]*\).*/\1/p" "$1"; }

# swarm_run LABEL N CELLS POLICY: one experiment; figures in SWARM[...] (see the end).
swarm_run() {
  local label=$1 n=$2 cells=$3 policy=$4
  local rd=$SWARM_DIR/$label content=swarm-$label per_cell=$(($2 / $3))
  SWARM=()
  ((n % cells == 0)) || { swarm_say "N=$n does not split into $cells cells"; return 1; }
  mkdir -p "$rd/media"
  swarm_say "$label: N=$n in $cells cells of $per_cell, policy $policy, $((SWARM_FILE_BYTES >> 20)) MiB"
  local args ue_args=$SWARM_UE_ARGS
  case $policy in
    on) args=$SWARM_POLICY_ON_ARGS ;;
    wide) args=$SWARM_POLICY_WIDE_ARGS ;;
    off) args=$SWARM_POLICY_OFF_ARGS ue_args+=" $SWARM_POLICY_OFF_UE_ARGS" ;;
    *) swarm_say "unknown policy $policy (on, wide, off)"; return 1 ;;
  esac
  swarm_restart_tracker "$args" || return 1

  # The content: random bytes, per byte (credit-controlled sessions, so uploads earn incentives).
  local file=$rd/media/swarm.bin
  head -c "$SWARM_FILE_BYTES" /dev/urandom >"$file"
  "$SWARM_CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --tracker "127.0.0.1:$TRACKER_GRPC" --actor swarm --json \
    content add "$file" --id "$content" --v1-only --owner swarm-studio --price-model per_byte \
    --price "$SWARM_PRICE_PER_MIB" --currency EUR ${SWARM_PIECE_KB:+--piece-kb "$SWARM_PIECE_KB"} \
    >"$rd/add.json" 2>"$rd/add.err" ||
    { swarm_say "content add failed: $(cat "$rd/add.err")"; return 1; }
  local piece sha
  piece=$(swarm_json_field "$rd/add.json" piece_length)
  sha=$(sha256sum "$file" | cut -d' ' -f1)

  # Namespaces: the origin in the infrastructure, terminal k in cell (k-1)/per_cell + 1.
  local k cell host roles=(org)
  netns_node_up org "$SWARM_ORIGIN_ADDR" "$SWARM_ORIGIN_UP_KBIT" "$SWARM_ORIGIN_DOWN_KBIT"
  for ((k = 1; k <= n; k++)); do
    cell=$(((k - 1) / per_cell + 1)) host=$(((k - 1) % per_cell + 1))
    netns_node_up "t$k" "10.77.$cell.$host" "$SWARM_UP_KBIT" "$SWARM_DOWN_KBIT" "10.77.$cell.0/24"
    roles+=("t$k")
  done
  # Whatever happens below, the run's namespaces (and what runs in them) go.
  local status=0
  swarm_run_in_namespaces "$label" "$n" "$cells" "$per_cell" "$rd" "$content" "$file" "$sha" "$piece" ||
    status=$?
  netns_down "${roles[@]}"
  return "$status"
}

swarm_run_in_namespaces() {
  local label=$1 n=$2 cells=$3 per_cell=$4 rd=$5 content=$6 file=$7 sha=$8 piece=$9
  local k cell host pids=()
  swarm_start_origin "$(netns_name org)" "$SWARM_ORIGIN_ADDR" "$content" "$file" "$rd" || return 1

  # All N terminals at once; each writes its summary when it has every piece and seeds on. The
  # last SWARM_METERED of them are metered (--metered without --upload-cap: they upload nothing).
  local metered_from=$((n - ${SWARM_METERED:-0} + 1)) metered sampler=
  if [[ ${SWARM_TIMELINE:-0} == 1 ]]; then
    netns_sample_ports "$rd/timeline.txt" &
    sampler=$!
  fi
  for ((k = 1; k <= n; k++)); do
    cell=$(((k - 1) / per_cell + 1)) host=$(((k - 1) % per_cell + 1))
    metered=false
    ((k >= metered_from)) && metered=true
    # shellcheck disable=SC2086  # ue_args are words
    ip netns exec "$(netns_name "t$k")" "$SWARM_UE" fetch "sip:$content@$SIP_DOMAIN" \
      --server "$NETNS_HUB_ADDR:$SIP_PORT" --bind "10.77.$cell.$host" \
      --identity "sip:ue$k@ims.localhost" --user "ue$k-impi" --password "ue$k-secret" \
      --locality "$(swarm_cell_id "$cell")" --out "$rd/t$k" --seed-seconds 86400 --quiet \
      --metered="$metered" --summary "$rd/t$k.json" ${ue_args} >"$rd/t$k.out" 2>"$rd/t$k.err" &
    pids+=($!)
  done
  local bound deadline complete failed=0
  bound=$(swarm_bound "$n")
  deadline=$((SECONDS + ${SWARM_DEADLINE_S:-$(awk -v b="$bound" 'BEGIN { printf "%d", 5 * b + 60 }')}))
  while :; do
    complete=0
    for ((k = 1; k <= n; k++)); do
      [[ -s $rd/t$k.json ]] && complete=$((complete + 1))
    done
    ((complete == n)) && break
    for ((k = 1; k <= n; k++)); do
      [[ -s $rd/t$k.json ]] || kill -0 "${pids[k - 1]}" 2>/dev/null ||
        { swarm_say "terminal $k ended early: $(tail -n 1 "$rd/t$k.err")"; failed=1; }
    done
    ((failed == 0)) || break
    ((SECONDS < deadline)) || { swarm_say "$complete of $n complete at the deadline"; failed=1; break; }
    sleep 0.2
  done
  swarm_stop_pids "${pids[@]}"
  swarm_stop_origin "$rd"
  if [[ -n $sampler ]]; then
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
    python3 "$SWARM_LIB_DIR/../swarm/timeline.py" "$rd" "$per_cell" "$SWARM_UP_KBIT" >"$rd/timeline.table" ||
      swarm_say "$label: no timeline"
    swarm_say "$label: timeline in $rd/timeline.table"
  fi
  ((failed == 0)) || return 1

  # Every terminal has the file.
  local wrong=0
  for ((k = 1; k <= n; k++)); do
    [[ $(sha256sum "$rd/t$k/swarm.bin" 2>/dev/null | cut -d' ' -f1) == "$sha" ]] || wrong=$((wrong + 1))
  done
  SWARM[files_wrong]=$wrong
  ((wrong == 0)) || { swarm_say "$wrong terminals do not have the right file"; return 1; }

  swarm_figures "$n" "$cells" "$rd" "$content" "$piece" "$bound"
}

# swarm_bound N: the fluid lower bound in seconds, max(F/u_s, F/d_min, N F / (u_s + Σu_i)), of
# the shaped link rates (every terminal alike; a metered one uploads nothing).
swarm_bound() {
  awk -v f="$SWARM_FILE_BYTES" -v n="$1" -v m="${SWARM_METERED:-0}" -v us="$SWARM_ORIGIN_UP_KBIT" \
    -v u="$SWARM_UP_KBIT" -v d="$SWARM_DOWN_KBIT" 'BEGIN {
      us *= 125; u *= 125; d *= 125   # kbit/s to bytes/s
      b = f / us; if (f / d > b) b = f / d; if (n * f / (us + (n - m) * u) > b) b = n * f / (us + (n - m) * u)
      printf "%.3f\n", b }'
}

swarm_figures() {
  local n=$1 cells=$2 rd=$3 content=$4 piece=$5 bound=$6 k
  SWARM[n]=$n SWARM[cells]=$cells SWARM[piece_bytes]=$piece SWARM[file_bytes]=$SWARM_FILE_BYTES
  SWARM[bound_s]=$bound

  # Distribution time: first terminal's start to the last one's completion (their own clocks; one
  # machine, one clock).
  local first=0 last=0 s f
  for ((k = 1; k <= n; k++)); do
    s=$(swarm_json_field "$rd/t$k.json" started_ms) f=$(swarm_json_field "$rd/t$k.json" finished_ms)
    ((first == 0 || s < first)) && first=$s
    ((f > last)) && last=$f
  done
  SWARM[time_s]=$(awk -v ms=$((last - first)) 'BEGIN { printf "%.3f", ms / 1000 }')
  SWARM[time_ratio]=$(swarm_ratio "${SWARM[time_s]}" "$bound")

  # Bytes on the wire by destination (Ethernet frames, headers included), from the kernel.
  local in_cell=0 cross=0 rest=0 a b c
  for ((k = 1; k <= n; k++)); do
    read -r a b c < <(netns_node_bytes "t$k")
    tc -n "$(netns_name "t$k")" -s class show dev eth0 >"$rd/t$k.tc"  # packets too, for analysis
    in_cell=$((in_cell + a)) cross=$((cross + b)) rest=$((rest + c))
  done
  read -r a b c < <(netns_node_bytes org)
  SWARM[origin_bytes]=$b  # to the terminals
  # How much of the upload capacity the run used: every byte any node sent, over the time and
  # the sum of the upload rates (early finishers share on until the last completes).
  SWARM[upload_use]=$(awk -v sent=$((in_cell + cross + rest + a + b + c)) -v t="${SWARM[time_s]}" \
    -v n="$n" -v us="$SWARM_ORIGIN_UP_KBIT" -v u="$SWARM_UP_KBIT" \
    'BEGIN { printf "%.3f", sent / (t * (us + n * u) * 125) }')
  SWARM[origin_over_f]=$(swarm_ratio "$b" "$SWARM_FILE_BYTES")
  SWARM[p2p_bytes]=$((in_cell + cross))
  SWARM[in_cell_bytes]=$in_cell
  SWARM[in_cell_share]=$(swarm_ratio "$in_cell" $((in_cell + cross)))
  # Payload the guarding terminals sent to other cells, by their own count, and of it what the
  # receiver's cell already held when it went (a piece crossing into a cell twice).
  local field
  for field in sent_across sent_across_held; do
    SWARM[${field#sent_}_over_f]=$(swarm_ratio "$(for ((k = 1; k <= n; k++)); do
      swarm_json_field "$rd/t$k.json" "$field"; done | awk '{ s += $1 } END { printf "%d", s }')" \
      "$SWARM_FILE_BYTES")
  done
  # Idle connections the terminals prompted to ask again (p2pims-ue --prompt-idle-peers).
  SWARM[prompts]=$(for ((k = 1; k <= n; k++)); do swarm_json_field "$rd/t$k.json" prompts; done |
    awk '{ s += $1 } END { printf "%d", s }')
  # Payload the origin says it sent, and the requests for pieces already sent that it refused.
  local sent
  sent=$(awk '$1 == "p2pims_origin_uploaded_bytes_total" { printf "%.0f", $2 }' "$rd/origin.metrics")
  [[ -z $sent ]] || SWARM[origin_payload_over_f]=$(swarm_ratio "$sent" "$SWARM_FILE_BYTES")
  SWARM[origin_repeats_refused]=$(awk '$1 == "p2pims_origin_repeats_refused_total" { printf "%.0f", $2 }' \
    "$rd/origin.metrics")
  SWARM[origin_rounds_out_of_patience]=$(awk '$1 == "p2pims_origin_first_rounds_out_of_patience_total" {
    printf "%.0f", $2 }' "$rd/origin.metrics")
  SWARM[origin_first_copies_reoffered]=$(awk '$1 == "p2pims_origin_first_copies_reoffered_total" {
    printf "%.0f", $2 }' "$rd/origin.metrics")

  # The tracker's own estimate: bytes peers reported downloading, by the best tier offered.
  local tier total=0
  for tier in cell area network elsewhere origin none; do
    SWARM[tracker_$tier]=$(service_metric_of tracker p2pims_tracker_downloaded_bytes_total "tier=\"$tier\"")
    SWARM[tracker_$tier]=${SWARM[tracker_$tier]:-0}
  done
  total=$(awk -v a="${SWARM[tracker_cell]}" -v b="${SWARM[tracker_area]}" -v c="${SWARM[tracker_network]}" \
    -v d="${SWARM[tracker_elsewhere]}" 'BEGIN { printf "%.0f", a + b + c + d }')
  SWARM[tracker_cell_share]=$(swarm_ratio "${SWARM[tracker_cell]}" "$total")
  # Announces the tracker answered, and refused or could not serve (should be none).
  local result
  for result in ok denied bad_request unavailable; do
    SWARM[announces_$result]=$(curl -fsS "http://127.0.0.1:$TRACKER_ADMIN/metrics" |
      awk -v r="result=\"$result\"" '$1 ~ /^p2pims_tracker_announces_total/ && index($1, r) { s += $2 }
                                      END { printf "%.0f\n", s }')
  done

  # What the metered terminals uploaded (payload, by their own count).
  SWARM[metered]=${SWARM_METERED:-0} SWARM[metered_uploaded]=0
  for ((k = n - ${SWARM_METERED:-0} + 1; k <= n; k++)); do
    SWARM[metered_uploaded]=$((SWARM[metered_uploaded] + $(swarm_json_field "$rd/t$k.json" uploaded)))
  done

  swarm_charging "$rd" "$content" "$piece"
}

# service_metric_of NAME METRIC [LABEL-MATCH]: a sample of a service's /metrics (first match).
service_metric_of() {
  curl -fsS "http://127.0.0.1:$(suite_admin_port "$1")/metrics" | awk -v m="$2" -v want="${3:-}" '
    { base = $1; sub(/\{.*/, "", base) }
    base == m && (want == "" || index($1, want) > 0) && !found { printf "%.0f\n", $2; found = 1 }'
}

# Charging consistency: each session's CDR against what its terminal says it moved (within one
# piece), and incentive credit against uploads. The origin's session is the operator's own: no
# CDR (SWARM[origin_cdrs] counts any).
swarm_charging() {
  local rd=$1 content=$2 piece=$3 sessions=0 summary
  for summary in "$rd"/t*.json; do [[ -s $summary ]] && sessions=$((sessions + 1)); done
  local deadline=$((SECONDS + 60)) cdrs
  until cdrs=$(suite_psql -tA -c "SELECT count(*) FROM charging.cdr WHERE content_id = '$content'") &&
    ((cdrs >= sessions)); do
    ((SECONDS < deadline)) || { swarm_say "$cdrs CDRs of $sessions sessions after 60 s"; break; }
    sleep 0.2
  done
  SWARM[sessions]=$sessions SWARM[cdrs]=$cdrs
  SWARM[origin_cdrs]=$(suite_psql -tA -c "SELECT count(*) FROM charging.cdr
      WHERE content_id = '$content' AND served_identity = '$ORIGIN_SUBJECT'")
  suite_psql -tA -F ' ' -c "SELECT served_identity, bytes_down, bytes_up, incentive_minor,
      bytes_up_credited, bytes_up_over_claimed, charge_minor FROM charging.cdr
      WHERE content_id = '$content'" >"$rd/cdrs.txt"
  local name who down up red fail
  : >"$rd/moved.txt"
  for summary in "$rd"/t*.json; do
    [[ -s $summary ]] || continue
    name=$(basename "$summary" .json)
    who="sip:ue${name#t}@ims.localhost"
    echo "$who $(swarm_json_field "$summary" downloaded) $(swarm_json_field "$summary" uploaded)" >>"$rd/moved.txt"
  done
  # One line of figures from the two files joined by identity.
  local keys=(cdr_matched cdr_max_dev_bytes cdr_beyond_piece cdr_bytes_down moved_bytes_down
    cdr_bytes_up moved_bytes_up uploaders uploaders_credited non_uploaders non_uploaders_credited
    incentive_minor bytes_up_credited bytes_up_over_claimed charge_minor) values i
  read -r -a values < <(awk -v piece="$piece" -v per_gib="$SWARM_INCENTIVE_PER_GIB" '
      function abs(x) { return x < 0 ? -x : x }
      FNR == NR { down[$1] = $2; up[$1] = $3; inc[$1] = $4; cred += $5; over += $6; charge += $7; next }
      {
        if (!($1 in down)) next
        matched++
        dd = abs(down[$1] - $2); du = abs(up[$1] - $3)
        if (dd > maxdev) maxdev = dd
        if (du > maxdev) maxdev = du
        if (dd > piece || du > piece) beyond++
        cdr_down += down[$1]; moved_down += $2; cdr_up += up[$1]; moved_up += $3
        incentive += inc[$1]
        # An upload earns at least one minor unit from 1 GiB / rate on (less rounds down to 0).
        if ($3 * per_gib >= 1073741824) { uploaders++; if (inc[$1] > 0) credited++ }
        else if ($3 == 0) { idle++; if (inc[$1] > 0) idle_credited++ }
      }
      END {
        printf "%d %d %d %.0f %.0f %.0f %.0f %d %d %d %d %.0f %.0f %.0f %.0f\n", matched, maxdev,
          beyond, cdr_down, moved_down, cdr_up, moved_up, uploaders, credited, idle, idle_credited,
          incentive, cred, over, charge
      }' "$rd/cdrs.txt" "$rd/moved.txt")
  for i in "${!keys[@]}"; do SWARM[${keys[i]}]=${values[i]:-0}; done
}

# swarm_json PREFIX: the run's figures as JSON members "PREFIX<key>":value (no braces).
swarm_json() {
  local prefix=$1 key out=""
  for key in n cells time_s bound_s time_ratio upload_use origin_bytes origin_over_f origin_payload_over_f \
    origin_repeats_refused origin_rounds_out_of_patience origin_first_copies_reoffered p2p_bytes \
    in_cell_bytes in_cell_share across_over_f across_held_over_f prompts \
    tracker_cell_share tracker_cell tracker_area tracker_network tracker_elsewhere tracker_origin \
    tracker_none announces_ok announces_denied \
    announces_bad_request announces_unavailable sessions cdrs origin_cdrs cdr_matched \
    cdr_max_dev_bytes cdr_beyond_piece piece_bytes cdr_bytes_down moved_bytes_down cdr_bytes_up \
    moved_bytes_up uploaders uploaders_credited non_uploaders non_uploaders_credited \
    incentive_minor bytes_up_credited bytes_up_over_claimed charge_minor metered metered_uploaded; do
    [[ -n ${SWARM[$key]:-} ]] && out+="\"$prefix$key\":${SWARM[$key]},"
  done
  echo "${out%,}"
}
