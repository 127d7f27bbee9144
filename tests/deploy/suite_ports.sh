# Sourced after tests/lib/harness.sh by the deploy tests that start the suite. The harness picks
# ports in 20000-59999, which overlaps the kernel's ephemeral range: an outgoing connection of
# another process can take a chosen port before a service binds it. These tests pick below the
# ephemeral range instead.
free_port() {
  local p low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % (low - 20000)))
    [[ $HARNESS_PORTS == *" $p "* ]] && continue
    if ! ss -Htanu 2>/dev/null | awk '{print $5}' | grep -qE "[:.]$p\$"; then
      HARNESS_PORTS+="$p "
      echo "$p"
      return 0
    fi
  done
  echo "no free port" >&2
  return 1
}
