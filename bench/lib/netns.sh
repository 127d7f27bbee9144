# shellcheck shell=bash
# Network namespaces for swarm experiments (bench/swarm and tests/e2e/swarm_cells_test.sh): a hub
# namespace holding one Linux bridge, and one namespace per node (terminal, origin) joined to it
# by a veth pair, each link shaped with tc tbf (netem does not work on these machines, so there
# is no delay). Nothing touches the root namespace: every name ends in the run's tag, addresses
# exist only inside these namespaces, and netns_cleanup removes them (and ends what runs in them).
#
#   export NETNS_TAG=$$ NETNS_MOUNT_PID=$$         # the latter for the scripts run in the hub
#   netns_refuse_taken || exit 1
#   trap netns_cleanup EXIT
#   netns_hub_up                                     # p2pims-hub-<tag>, bridge br0, 10.77.0.1/16
#   netns_node_up t1 10.77.1.1 4000 16000 10.77.1.0/24   # up/down kbit/s, its cell's addresses
#   ip netns exec "$(netns_name t1)" some-program ...
#   netns_node_bytes t1     # -> "IN_CELL OTHER_CELLS INFRA": bytes t1 sent to each
#
# Addresses: 10.77.0.0/16 on one L2 segment. 10.77.0.0/24 is the infrastructure (hub .1, origin
# and other operator nodes), 10.77.<c>.0/24 the terminals of cell c. Each node's upload passes a
# tbf (its upload rate) holding an htb that counts: every packet the node sends is put in one of
# three classes by destination (its own cell, the other cells, the infrastructure and anything
# not IPv4), so the bytes a terminal sent inside its cell are read from the kernel, independently
# of the tracker and of the BitTorrent client. The classes have a rate far above the link's, so
# only the tbf shapes; each has its own short queue, and traffic to the infrastructure goes
# first (signalling before data, as on the way down).

NETNS_TAG=${NETNS_TAG:-$$}
readonly NETNS_HUB_ADDR=10.77.0.1
readonly NETNS_PREFIX=16
readonly NETNS_INFRA_NET=10.77.0.0/24
readonly NETNS_ALL_NET=10.77.0.0/16

# netns_ip ARGS: ip, for adding and deleting namespaces. Inside the hub (ip netns exec gave that
# shell a mount namespace of its own) a namespace added plainly would be mounted there only: the
# root namespace would list its name but could not enter it, so neither end what runs in it nor
# remove it if the hub's shell died. There NETNS_MOUNT_PID (the root side's shell) names the mount
# namespace to do it in, whose mounts reach the hub's.
netns_ip() {
  if [[ -n ${NETNS_MOUNT_PID:-} ]]; then
    nsenter --mount="/proc/$NETNS_MOUNT_PID/ns/mnt" ip "$@"
  else
    ip "$@"
  fi
}

# netns_name ROLE: the namespace of a role in this run, p2pims-<role>-<tag>.
netns_name() { echo "p2pims-$1-$NETNS_TAG"; }

# The namespaces of this run that exist now, one a line.
netns_list() { ip netns list 2>/dev/null | awk -v tag="-$NETNS_TAG" '{ if (substr($1, length($1) - length(tag) + 1) == tag && $1 ~ /^p2pims-/) print $1 }'; }

# Fails (with a message) when a namespace of this run's names already exists.
netns_refuse_taken() {
  local taken
  taken=$(netns_list)
  if [[ -n $taken ]]; then
    echo "netns: namespaces of tag $NETNS_TAG exist already: $taken" >&2
    return 1
  fi
}

# netns_hub_up: the hub namespace with loopback, bridge br0 and the hub's address on it.
netns_hub_up() {
  local hub
  hub=$(netns_name hub)
  netns_ip netns add "$hub"
  ip -n "$hub" link set lo up
  ip -n "$hub" link add br0 type bridge
  ip -n "$hub" link set br0 up
  ip -n "$hub" addr add "$NETNS_HUB_ADDR/$NETNS_PREFIX" dev br0
}

# netns_tbf_args KBIT: tbf parameters for a link of KBIT kbit/s: a burst of about 4 ms (at least
# two full frames) and at most 50 ms of queue.
netns_tbf_args() {
  local kbit=$1 burst
  burst=$((kbit * 1000 / 8 / 250))
  ((burst < 3028)) && burst=3028
  echo "rate ${kbit}kbit burst $burst latency 50ms"
}

# netns_node_up ROLE ADDR UP_KBIT DOWN_KBIT [OWN_NET]: namespace p2pims-<role>-<tag> joined to the
# hub's bridge (hub side: port v<role>), ADDR/16 on its eth0, upload shaped to UP_KBIT and
# download (the hub's egress towards it) to DOWN_KBIT; OWN_NET is the node's cell (counted as
# "in cell"), none for infrastructure nodes.
netns_node_up() {
  local role=$1 addr=$2 up=$3 down=$4 own=${5:-} hub ns port
  hub=$(netns_name hub)
  ns=$(netns_name "$role")
  port="v$role"
  netns_ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$hub" link add "$port" type veth peer name eth0 netns "$ns"
  ip -n "$hub" link set "$port" master br0 up
  ip -n "$ns" addr add "$addr/$NETNS_PREFIX" dev eth0
  ip -n "$ns" link set eth0 up
  # Download: the hub's egress towards the node, a tbf holding an htb that sends what the hub's
  # services send (SIP, tracker replies) and anything not IPv4 (ARP) before data (20:10 before
  # 20:20), as a mobile network gives signalling a bearer of its own.
  local class queue=$((down * 1000 / 8 / 20))
  ((queue < 6056)) && queue=6056
  # shellcheck disable=SC2046  # word splitting of the tbf parameters is wanted
  tc -n "$hub" qdisc add dev "$port" root handle 1: tbf $(netns_tbf_args "$down")
  tc -n "$hub" qdisc add dev "$port" parent 1:1 handle 20: htb default 10
  tc -n "$hub" class add dev "$port" parent 20: classid 20:10 htb rate 10gbit quantum 3028 prio 0
  tc -n "$hub" class add dev "$port" parent 20: classid 20:20 htb rate 10gbit quantum 3028 prio 1
  for class in 10 20; do tc -n "$hub" qdisc add dev "$port" parent "20:$class" bfifo limit "$queue"; done
  tc -n "$hub" filter add dev "$port" parent 20: prio 1 protocol ip u32 match ip src "$NETNS_HUB_ADDR/32" classid 20:10
  tc -n "$hub" filter add dev "$port" parent 20: prio 2 protocol ip u32 match ip src 0.0.0.0/0 classid 20:20
  # Upload: tbf, and inside it the counting htb (classes 10:10 own cell, 10:20 other cells,
  # 10:30 the rest: the hub, the origin, ARP; the rest first, as above), each class with a queue
  # of about 50 ms of the link.
  queue=$((up * 1000 / 8 / 20))
  ((queue < 6056)) && queue=6056
  # shellcheck disable=SC2046
  tc -n "$ns" qdisc add dev eth0 root handle 1: tbf $(netns_tbf_args "$up")
  tc -n "$ns" qdisc add dev eth0 parent 1:1 handle 10: htb default 30
  for class in 10 20 30; do
    tc -n "$ns" class add dev eth0 parent 10: classid "10:$class" htb rate 10gbit quantum 3028 \
      prio $((class == 30 ? 0 : 1))
    tc -n "$ns" qdisc add dev eth0 parent "10:$class" bfifo limit "$queue"
  done
  [[ -n $own ]] && tc -n "$ns" filter add dev eth0 parent 10: prio 1 protocol ip u32 \
    match ip dst "$own" classid 10:10
  tc -n "$ns" filter add dev eth0 parent 10: prio 2 protocol ip u32 match ip dst "$NETNS_INFRA_NET" classid 10:30
  tc -n "$ns" filter add dev eth0 parent 10: prio 3 protocol ip u32 match ip dst "$NETNS_ALL_NET" classid 10:20
}

# netns_node_bytes ROLE: "IN_CELL OTHER_CELLS REST": bytes (Ethernet frames) the node sent to its
# own cell, to the other cells' terminals, and to the infrastructure (or not IPv4).
netns_node_bytes() {
  tc -n "$(netns_name "$1")" -s class show dev eth0 | awk '
    $1 == "class" && $2 == "htb" { c = $3 }
    $1 == "Sent" && c != "" { bytes[c] = $2; c = "" }
    END { printf "%d %d %d\n", bytes["10:10"], bytes["10:20"], bytes["10:30"] }'
}

# netns_down ROLE...: ends what runs in each node's namespace (SIGTERM, then SIGKILL after 5 s)
# and removes it; the hub's port goes with its veth peer.
netns_down() {
  local role ns names=()
  for role in "$@"; do
    ns=$(netns_name "$role")
    ip netns list | awk '{print $1}' | grep -qx "$ns" && names+=("$ns")
  done
  netns_delete "${names[@]}"
}

# netns_delete NAME...: ends the processes in the namespaces, then deletes them.
netns_delete() {
  local ns pid pids=() deadline
  (($# > 0)) || return 0
  for ns in "$@"; do
    while read -r pid; do [[ -n $pid ]] && pids+=("$pid"); done < <(ip netns pids "$ns" 2>/dev/null)
  done
  if ((${#pids[@]} > 0)); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    deadline=$((SECONDS + 5))
    for pid in "${pids[@]}"; do
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    done
  fi
  for ns in "$@"; do netns_ip netns delete "$ns" 2>/dev/null || true; done
}

# netns_cleanup: every namespace of this run, nodes first, the hub last.
netns_cleanup() {
  local hub nodes=() rest=()
  hub=$(netns_name hub)
  mapfile -t nodes < <(netns_list | grep -vx "$hub")
  netns_delete "${nodes[@]}"
  mapfile -t rest < <(netns_list)
  netns_delete "${rest[@]}"
}

# netns_sample_ports OUT: every 0.25 s until killed, one line to OUT: the time (epoch seconds)
# and, for each of the hub's ports, "ROLE:SENT:RECEIVED", the bytes (Ethernet frames) the node
# of ROLE sent on its link and received. Run it in the hub namespace (its /sys is the hub's).
netns_sample_ports() {
  local out=$1 port line sent received
  while :; do
    line=$EPOCHREALTIME
    for port in /sys/class/net/v*; do
      # The hub's port receives what the node sends.
      read -r sent <"$port/statistics/rx_bytes" 2>/dev/null || continue
      read -r received <"$port/statistics/tx_bytes" 2>/dev/null || continue
      line+=" ${port##*/v}:$sent:$received"
    done
    echo "$line"
    sleep 0.25
  done >"$out"
}
