#!/usr/bin/env bash
# Issue 14's reproduction, as a user would run it: two backend-sample processes behind a round-robin pool
# (connect-attempts 3, no health check); 10 requests; kill -9 one backend; 6 more requests, each answered by
# the other after a refused connect. Prints, per transport, Weir's open fds before the kill and after, and the
# CPU its event-loop threads used over 3 idle seconds before and after (from /proc/PID/task/*/stat).
#
#   bench/crash-repro.sh [--transports epoll,io_uring,nio] [--never-open N]
#
#   --never-open N   instead of killing a backend, put a port that was never open in the pool and make N requests
#
# Uses the built jars (proxy/target/weir.jar, backend-sample/target/backend-sample.jar). Needs java, bash's
# /dev/tcp. Stops only the processes it started.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
TRANSPORTS=epoll,io_uring,nio
NEVER_OPEN=0
while (($#)); do
  case "$1" in
    --transports) TRANSPORTS=$2; shift 2 ;;
    --never-open) NEVER_OPEN=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
await_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
ask() { # one whoami through Weir; prints the answer
  exec 3<>/dev/tcp/127.0.0.1/"$1"; echo whoami >&3; head -1 <&3; exec 3<&-
}
loop_ticks() { # utime+stime of Weir's event-loop threads, in clock ticks
  local sum=0 t
  for t in /proc/"$1"/task/*; do
    if grep -q '^weir-loop' "$t/comm" 2>/dev/null; then
      read -r -a f < <(sed 's/^.*) //' "$t/stat")
      sum=$((sum + f[11] + f[12]))
    fi
  done
  echo "$sum"
}
idle_cpu() { local a b; a=$(loop_ticks "$1"); sleep 3; b=$(loop_ticks "$1"); awk -v d=$((b - a)) -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", d/hz}'; }
fds() { ls /proc/"$1"/fd | wc -l; }

printf "%-9s %-12s %-12s %-22s %s\n" transport fds-before fds-after "loop-cpu-s/3s before" after
IFS=, read -r -a list <<<"$TRANSPORTS"
for tr in "${list[@]}"; do
  pa=$(free_port); pb=$(free_port); pw=$(free_port)
  java -jar "$ROOT/backend-sample/target/backend-sample.jar" --name a --port "$pa" >"$WORK/a.log" 2>&1 & pids+=($!); a=$!
  if ((NEVER_OPEN)); then b=""; else
    java -jar "$ROOT/backend-sample/target/backend-sample.jar" --name b --port "$pb" >"$WORK/b.log" 2>&1 & pids+=($!); b=$!
  fi
  cat >"$WORK/weir.yaml" <<YAML
transport: $tr
event-loop-threads: 2
admin: {bind: "off"}
access-log: {enabled: false}
listeners:
  l: {bind: 127.0.0.1:$pw, pool: p}
pools:
  p: {connect-attempts: 3, backends: [127.0.0.1:$pa, 127.0.0.1:$pb]}
YAML
  await_port "$pa"; ((NEVER_OPEN)) || await_port "$pb"
  java -jar "$ROOT/proxy/target/weir.jar" run -c "$WORK/weir.yaml" >"$WORK/weir-$tr.log" 2>&1 & pids+=($!); w=$!
  await_port "$pw"
  for _ in $(seq 1 10); do ask "$pw" >/dev/null; done
  f0=$(fds "$w"); c0=$(idle_cpu "$w")
  if ((NEVER_OPEN)); then n=$NEVER_OPEN; else kill -9 "$b"; wait "$b" 2>/dev/null || true; n=6; fi
  for _ in $(seq 1 "$n"); do
    [[ $(ask "$pw") == a ]] || { echo "a request was not answered by a; Weir's log:" >&2; tail -20 "$WORK/weir-$tr.log" >&2; exit 1; }
  done
  sleep 1
  f1=$(fds "$w"); c1=$(idle_cpu "$w")
  printf "%-9s %-12s %-12s %-22s %s\n" "$tr" "$f0" "$f1" "$c0" "$c1"
  kill -TERM "$w" "$a" 2>/dev/null || true; [[ -n "$b" ]] && kill -9 "$b" 2>/dev/null || true
  wait "$w" 2>/dev/null || true
done
