# shellcheck shell=bash
# A CFS CPU quota for one process, in a cgroup of its own (cgroup v1 or v2, where writable: root),
# so that on a small machine one core of load generator can offer several times what a server
# answers. Used by the tracker's overload benchmark and test.
#
#   cpu_quota "$PID" 35     # 35 % of one core, per 10 ms; sets CPU_QUOTA ("35%", or "none")
#   ...
#   cpu_quota_release        # the process back where it was, the cgroup removed

CPU_QUOTA=none
CPU_QUOTA_CGROUP=""
CPU_QUOTA_PID=""

cpu_quota() {
  local pid=$1 percent=$2 v1=/sys/fs/cgroup/cpu v2=/sys/fs/cgroup quota=$(($2 * 100))
  CPU_QUOTA=none
  if [[ -w $v1/cgroup.procs ]] && mkdir "$v1/p2pims-quota-$$" 2>/dev/null; then
    CPU_QUOTA_CGROUP=$v1/p2pims-quota-$$
    echo 10000 >"$CPU_QUOTA_CGROUP/cpu.cfs_period_us" &&
      echo "$quota" >"$CPU_QUOTA_CGROUP/cpu.cfs_quota_us" &&
      echo "$pid" >"$CPU_QUOTA_CGROUP/cgroup.procs" && CPU_QUOTA="$percent%"
  elif [[ -w $v2/cgroup.procs && -f $v2/cgroup.controllers ]] &&
    mkdir "$v2/p2pims-quota-$$" 2>/dev/null; then
    CPU_QUOTA_CGROUP=$v2/p2pims-quota-$$
    echo "$quota 10000" >"$CPU_QUOTA_CGROUP/cpu.max" &&
      echo "$pid" >"$CPU_QUOTA_CGROUP/cgroup.procs" && CPU_QUOTA="$percent%"
  fi
  [[ $CPU_QUOTA == none ]] || CPU_QUOTA_PID=$pid
}

# Idempotent; a process already gone leaves an empty cgroup, removed too.
cpu_quota_release() {
  [[ -n $CPU_QUOTA_CGROUP ]] || return 0
  if [[ -n $CPU_QUOTA_PID ]] && kill -0 "$CPU_QUOTA_PID" 2>/dev/null; then
    echo "$CPU_QUOTA_PID" >"$(dirname "$CPU_QUOTA_CGROUP")/cgroup.procs" 2>/dev/null || true
  fi
  rmdir "$CPU_QUOTA_CGROUP" 2>/dev/null || true
  CPU_QUOTA_CGROUP="" CPU_QUOTA_PID="" CPU_QUOTA=none
}
