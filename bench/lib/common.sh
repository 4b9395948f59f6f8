# Helpers shared by bench/run.sh and the files it sources (bench/lib/*.sh): logging, ports, CPU ticks, the
# processes to stop on exit, the results file. Sourced, not run.

say() { echo "[bench] $*" >&2; }
has() { [[ ",$1," == *",$2,"* ]]; }
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
HZ=$(getconf CLK_TCK)

# Every process the bench starts goes into PIDS; cleanup stops them by PID (TERM, then KILL).
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
stop_pid() {   # TERM, up to 10 s, then KILL
  local p=$1
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

NEXT_PORT=$(( 20000 + RANDOM % 8000 ))
free_port() {   # sets the variables named in $@ to distinct ports nobody listens on or uses
  local v
  for v in "$@"; do
    while [ -n "$(ss -Htan "sport = :$NEXT_PORT")" ]; do NEXT_PORT=$((NEXT_PORT + 1)); done
    printf -v "$v" %s "$NEXT_PORT"
    NEXT_PORT=$((NEXT_PORT + 1))
  done
}
wait_port() {   # $1 port, $2 seconds (default 20)
  local i
  for i in $(seq $(( ${2:-20} * 10 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  say "nothing accepted on port $1"; return 1
}

# CPU of a process and its children (nginx's workers under its master), in clock ticks.
tree_pids() { echo "$1"; cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true; }
proc_ticks() {   # $1 pid, $2 an awk sum of /proc/PID/stat fields counted after the name ($12 utime, $13 stime)
  local s=0 p t
  for p in $(tree_pids "$1"); do
    t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk "{print $2}") || t=0
    s=$((s + ${t:-0}))
  done
  echo $s
}
ticks() { proc_ticks "$1" '$12 + $13'; }   # utime+stime
uticks() { proc_ticks "$1" '$12'; }        # utime alone
rss_kib() { local s=0 p; for p in $(tree_pids "$1"); do s=$((s + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done; echo $s; }

# results.tsv: mode, round, workload, peer, figure, value. The first figure a workload records is its headline,
# the one the control's ratio is checked on (bench/lib/summary.py).
record() {   # $1 peer, $2 figure, $3 value (uses MODE, ROUND, WORKLOAD)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$MODE" "$ROUND" "$WORKLOAD" "$1" "$2" "$3" >> "$RESULTS"
  say "$MODE $WORKLOAD $1: $2 = $3"
}
