#!/usr/bin/env bash
# Weir side by side with a direct connection, nginx (stream) and HAProxy (mode tcp), and a second HAProxy as the
# control, on loopback, in two modes: pinned (each proxy on one CPU) and both-cores (each proxy on every CPU).
# Uses the built jars (proxy/target/weir.jar, backend-sample/target/backend-sample.jar); builds nothing except
# compiling bench/LoadGen.java and bench/warmpool/Ttfb.java into a temporary directory. See bench/RESULTS.md and
# docs/performance.md.
#
#   bench/run.sh [--mode pinned,both] [--pin] [--cores N] [--only LIST] [--peers direct,weir,nginx,haproxy]
#                [--java PATH] [--weir-opts "JVM FLAGS"] [--transport T] [--reps N] [--idle-count N]
#                [--loops N] [--spin DUR] [--access-log] [--jfr DIR] [--out DIR] [--jar PATH]
#
#   --mode        modes to run, in this order (default: pinned,both):
#                   pinned  every proxy on CPU 1, backends and load generators on CPU 0 (taskset); Weir with
#                           one event loop (the JVM sees one CPU), HAProxy nbthread 1, nginx one worker
#                   both    nothing pinned: proxies, backends and load share every CPU; Weir with N event
#                           loops, HAProxy nbthread N, nginx worker_processes N (N: --cores)
#   --pin         the same as --mode pinned
#   --cores N     N for the both mode (default: nproc)
#   --only        workloads, comma-separated (default: all; syscalls runs after the timed ones of each mode):
#                   bulk      one iperf3 stream for BULK_SECS: Gbit/s, proxy CPU s per GB
#                   redis     redis-benchmark SET, 50 connections, REDIS_N ops: ops/s, p50/p99/p99.9/max, CPU/op
#                   redis1k   the same with 1,000 connections, REDIS1K_N ops
#                   short     bench/LoadGen.java short connections to an echo server, the client closes first,
#                             SHORT_CONC at once for SHORT_SECS: conn/s, CPU per connection
#                   http      HTTP/1.1 Connection: close (wrk -H 'Connection: close', HTTP_CONC connections for
#                             HTTP_SECS) to an nginx HTTP backend that closes first: conn/s, p50/p99, CPU/conn
#                   ttfb      connect + first reply byte, one connection at a time (bench/warmpool/Ttfb.java,
#                             TTFB_N connections): p50/p99 µs; Weir also through a warm pool (peer weir-warm)
#                   syscalls  system calls per proxied connection (strace over SYSCALL_SECS of short connections,
#                             both shapes: client closes first, server closes first), a table (bench/lib/syscalls.sh)
#                   idle      a fresh proxy, --idle-count idle connections: RSS growth per connection
#                   startup   process start to the first accepted connection, STARTUP_RUNS times
#                   tls       bench/tls.sh (TLS termination against nginx and two HAProxies in paired rounds,
#                             always pinned) with --reps rounds and this run's Weir settings
#                 idle and startup run in the first mode only; tls once, after the modes
#   --peers       peers (default: direct,weir,nginx,haproxy; if haproxy is not installed it is left out, with how
#                 to install it); with haproxy comes haproxy-control, a second HAProxy with the same config:
#                 the summary prints its per-round ratio to HAProxy and flags a round off by more than 3%
#   --java        the java binary that runs Weir (default: java on PATH); jcmd is taken from beside it
#   --weir-opts   extra JVM flags for Weir, e.g. "-XX:+UseParallelGC"
#   --transport   Weir's transport: auto (default), io_uring, epoll, nio
#   --reps        rounds of each workload (default 3); each round runs every peer once, back to back, the
#                 order rotated by one peer from round to round
#   --idle-count  idle connections to open (default: 10000, capped so that the proxy's 2 fds per
#                 connection fit under the hard fd limit)
#   --loops N     Weir's event-loop-threads (default: 0 in pinned, one per CPU it may run on; N in both)
#   --spin DUR    Weir's event-loop-spin, e.g. 20us (default: Weir's own default, 0s: off)
#   --access-log  every proxy logs each connection: Weir its access log (to stdout, the log file), HAProxy
#                 `option tcplog` to stdout (`log stdout format raw`), nginx a stream access_log file (default:
#                 none of them logs; tls is not affected)
#   --jfr DIR     record a JFR profile (settings=profile) of Weir during the first round of each workload into
#                 DIR/weir-MODE-WORKLOAD.jfr (adds overhead: use a separate run for numbers)
#   --out DIR     keep logs, configs, results.tsv and the tables here (default: a new temporary directory)
#   --jar PATH    the weir.jar to run (default: proxy/target/weir.jar), e.g. a saved build to compare with
#
# The environment may shorten the runs for a smoke test: BULK_SECS (5), SHORT_SECS (10), SHORT_CONC (50),
# REDIS_N (200000), REDIS1K_N (200000), HTTP_SECS (10), HTTP_CONC (50), TTFB_N (2000), TTFB_WARMUP (200),
# SYSCALL_SECS (5), SYSCALL_CONC (10), WARM_SECS (5), STARTUP_RUNS (5), TLS_SECS (5), TLS_WARM (30: bench/tls.sh
# --secs, --warm). E.g. a smoke run of everything but tls (about 7 minutes on a busy 2-vCPU machine):
#   BULK_SECS=1 SHORT_SECS=2 HTTP_SECS=2 REDIS_N=20000 REDIS1K_N=20000 TTFB_N=200 SYSCALL_SECS=2 WARM_SECS=1 \
#     bench/run.sh --reps 2 --idle-count 500 --only bulk,redis,redis1k,short,http,ttfb,syscalls,idle,startup
#
# Needs (Debian 12): java 17+, iperf3, redis-server and redis-benchmark (redis-tools), nginx with the stream
# module (nginx, libnginx-mod-stream; the script runs its own, not the service), wrk, python3, ss (iproute2),
# taskset (util-linux) for pinned, strace for syscalls, haproxy; for tls also openssl:
#   apt-get install -y openjdk-17-jdk-headless iperf3 redis-server redis-tools nginx libnginx-mod-stream wrk \
#     haproxy strace python3 iproute2 util-linux openssl
# Traffic stays on loopback; every process the script starts is stopped by PID when it exits.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WEIR_JAR=$ROOT/proxy/target/weir.jar
SAMPLE_JAR=$ROOT/backend-sample/target/backend-sample.jar
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/proxies.sh
. "$HERE/lib/proxies.sh"
# shellcheck source=lib/workloads.sh
. "$HERE/lib/workloads.sh"
# shellcheck source=lib/syscalls.sh
. "$HERE/lib/syscalls.sh"

MODES=pinned,both
CORES=$(nproc)
ALL=bulk,redis,redis1k,short,http,ttfb,syscalls,idle,startup,tls
ONLY=bulk,redis,redis1k,short,http,ttfb,idle,startup,tls,syscalls
PEERS=direct,weir,nginx,haproxy
WEIR_JAVA=java
WEIR_OPTS=""
TRANSPORT=auto
REPS=3
LOOPS=""
SPIN=""
ACCESS_LOG=0
IDLE_COUNT=""
JFR_DIR=""
OUT=""
BULK_SECS=${BULK_SECS:-5}
SHORT_SECS=${SHORT_SECS:-10}
SHORT_CONC=${SHORT_CONC:-50}
REDIS_N=${REDIS_N:-200000}
REDIS1K_N=${REDIS1K_N:-200000}
REDIS_CONNS=50
HTTP_SECS=${HTTP_SECS:-10}
HTTP_CONC=${HTTP_CONC:-50}
TTFB_N=${TTFB_N:-2000}
TTFB_WARMUP=${TTFB_WARMUP:-200}
SYSCALL_SECS=${SYSCALL_SECS:-5}
SYSCALL_CONC=${SYSCALL_CONC:-10}
WARM_SECS=${WARM_SECS:-5}
STARTUP_RUNS=${STARTUP_RUNS:-5}
TLS_SECS=${TLS_SECS:-5}
TLS_WARM=${TLS_WARM:-30}

while [ $# -gt 0 ]; do
  case $1 in
    --mode) MODES=$2; shift ;;
    --pin) MODES=pinned ;;
    --cores) CORES=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --peers) PEERS=$2; shift ;;
    --java) WEIR_JAVA=$2; shift ;;
    --weir-opts) WEIR_OPTS=$2; shift ;;
    --transport) TRANSPORT=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --idle-count) IDLE_COUNT=$2; shift ;;
    --loops) LOOPS=$2; shift ;;
    --spin) SPIN=$2; shift ;;
    --access-log) ACCESS_LOG=1 ;;
    --jfr) JFR_DIR=$2; shift ;;
    --out) OUT=$2; shift ;;
    --jar) WEIR_JAR=$2; shift ;;
    -h|--help) sed -n '2,68p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for w in ${ONLY//,/ }; do has "$ALL" "$w" || { echo "--only: unknown workload $w (one of $ALL)" >&2; exit 2; }; done
for m in ${MODES//,/ }; do case $m in pinned|both) ;; *) echo "--mode: pinned or both, not $m" >&2; exit 2 ;; esac; done
for p in ${PEERS//,/ }; do case $p in direct|weir|nginx|haproxy) ;; *) echo "--peers: unknown peer $p" >&2; exit 2 ;; esac; done

# ---- prerequisites ---------------------------------------------------------------------------
for j in "$WEIR_JAR" "$SAMPLE_JAR"; do
  [ -f "$j" ] || { echo "missing $j: build first with: mvn -q package -DskipTests" >&2; exit 1; }
done
command -v "$WEIR_JAVA" >/dev/null || { echo "no java at $WEIR_JAVA" >&2; exit 1; }
JCMD=$(dirname "$(readlink -f "$(command -v "$WEIR_JAVA")")")/jcmd
[ -x "$JCMD" ] || JCMD=""
need=(java javac iperf3 redis-server redis-benchmark nginx python3 ss)
has "$MODES" pinned && need+=(taskset)
{ has "$ONLY" http || has "$ONLY" syscalls; } && need+=(wrk)
has "$ONLY" syscalls && need+=(strace)
missing=()
for t in "${need[@]}"; do command -v "$t" >/dev/null || missing+=("$t"); done
[ -f "$NGINX_STREAM" ] || missing+=("$NGINX_STREAM (libnginx-mod-stream)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]}. On Debian 12:" >&2
  echo "    apt-get install -y iperf3 redis-server redis-tools nginx libnginx-mod-stream wrk strace haproxy" >&2
  exit 1
fi
if has "$PEERS" haproxy && ! command -v haproxy >/dev/null; then
  echo "HAProxy is not installed, so it and its control are left out. To compare against it:" >&2
  echo "    apt-get install -y haproxy      # Debian 12 ships 2.6" >&2
  PEERS=$(echo ",$PEERS," | sed 's/,haproxy,/,/; s/^,//; s/,$//')
fi
if has "$MODES" pinned && [ "$(nproc --all)" -lt 2 ]; then echo "the pinned mode needs 2 CPUs" >&2; exit 1; fi
PEER_LIST=()   # the order of a round: direct, weir, nginx, haproxy-control, haproxy
for p in direct weir nginx; do has "$PEERS" $p && PEER_LIST+=("$p"); done
has "$PEERS" haproxy && PEER_LIST+=(haproxy-control haproxy)

# Idle connections: each proxied connection holds 2 fds in the proxy.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
if [ -z "$IDLE_COUNT" ]; then
  IDLE_COUNT=10000
  if [ "$FD_LIMIT" != unlimited ] && [ $(( (FD_LIMIT - 300) / 2 )) -lt $IDLE_COUNT ]; then
    IDLE_COUNT=$(( (FD_LIMIT - 300) / 2 / 100 * 100 ))
    say "fd limit $FD_LIMIT (hard) allows $IDLE_COUNT idle proxied connections, not 10000"
  fi
fi
MAXCONN=$(( IDLE_COUNT + 100 > 2200 ? IDLE_COUNT + 100 : 2200 ))   # redis1k: 1,000 connections

# ---- state, cleanup --------------------------------------------------------------------------
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/weir-bench.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -z "$JFR_DIR" ] || mkdir -p "$JFR_DIR"
RESULTS=$OUT/results.tsv
: > "$RESULTS"
trap cleanup EXIT
trap 'exit 130' INT TERM
CLS=$OUT/classes
mkdir -p "$CLS"
javac -d "$CLS" "$HERE/LoadGen.java" "$HERE/warmpool/Ttfb.java"

jfr_on() { [ -n "$JFR_DIR" ] && [ "$1" = weir ] && [ "$ROUND" = 1 ] && [ -n "$JCMD" ]; }
jfr_start() { if jfr_on "$1"; then "$JCMD" "${PID[weir]}" JFR.start name="$MODE-$WORKLOAD" settings=profile \
  filename="$JFR_DIR/weir-$MODE-$WORKLOAD.jfr" > /dev/null; fi; }
jfr_stop() { if jfr_on "$1"; then "$JCMD" "${PID[weir]}" JFR.stop name="$MODE-$WORKLOAD" > /dev/null
  say "JFR: $JFR_DIR/weir-$MODE-$WORKLOAD.jfr"; fi; }

round_order() {   # $1 workload, $2 round: the peers, rotated by one per round
  local list=() p i n
  for p in "${PEER_LIST[@]}"; do
    list+=("$p")
    if [ "$1" = ttfb ] && [ "$p" = weir ]; then list+=(weir-warm); fi
  done
  n=${#list[@]}
  for i in $(seq 0 $((n - 1))); do echo "${list[$(( (i + $2 - 1) % n ))]}"; done
}

mode_setup() {   # $1 mode
  MODE=$1
  MODE_DIR=$OUT/$MODE
  mkdir -p "$MODE_DIR"
  if [ "$MODE" = pinned ]; then
    PIN_PROXY=(taskset -c 1); PIN_LOAD=(taskset -c 0); MODE_CORES=1; WEIR_LOOPS=${LOOPS:-0}
    DESC[$MODE]="proxy on CPU 1, backends and load on CPU 0; Weir event-loop-threads $WEIR_LOOPS (0: one per CPU it may use), HAProxy nbthread 1, nginx 1 worker"
  else
    PIN_PROXY=(); PIN_LOAD=(); MODE_CORES=$CORES; WEIR_LOOPS=${LOOPS:-$CORES}
    DESC[$MODE]="unpinned, proxies, backends and load share the $(nproc) CPUs; Weir $WEIR_LOOPS event loops, HAProxy nbthread $CORES, nginx $CORES workers"
  fi
  WRK_THREADS=$MODE_CORES
}
declare -A DESC

# ---- the modes ---------------------------------------------------------------------------------
TIMED=(bulk redis redis1k short http ttfb)
say "java for Weir: $("$WEIR_JAVA" -version 2>&1 | head -1); opts: ${WEIR_OPTS:-none}; transport: $TRANSPORT; spin: ${SPIN:-default}; access logs: $ACCESS_LOG; modes: $MODES; peers: ${PEER_LIST[*]}; out: $OUT"
FIRST_MODE=1
for m in ${MODES//,/ }; do
  mode_setup "$m"
  # CORES is what the proxies' configs get: 1 when pinned
  SAVED_CORES=$CORES; CORES=$MODE_CORES
  ROUND=0; WORKLOAD=setup
  start_backends
  write_configs
  any=0; for w in "${TIMED[@]}" syscalls; do has "$ONLY" "$w" && any=1; done
  if [ $any = 1 ]; then
    for peer in "${PEER_LIST[@]}"; do
      [ "$peer" = direct ] || start_proxy "$peer"
      say "== $MODE: $peer warm-up"
      warmup "$peer"
    done
    for WORKLOAD in "${TIMED[@]}"; do
      has "$ONLY" "$WORKLOAD" || continue
      for ROUND in $(seq "$REPS"); do
        for peer in $(round_order "$WORKLOAD" "$ROUND"); do
          say "== $MODE $WORKLOAD $ROUND/$REPS $peer (load average $(loadavg))"
          record "$peer" "machine load average (1 min) at start" "$(loadavg)" 2>/dev/null
          jfr_start "$peer"
          $WORKLOAD "$peer"
          jfr_stop "$peer"
        done
      done
    done
    if has "$ONLY" syscalls; then WORKLOAD=syscalls; ROUND=1; say "== $MODE syscalls"; syscalls; fi
    for peer in "${PEER_LIST[@]}"; do [ "$peer" = direct ] || stop_proxy "$peer"; done
  fi
  if [ $FIRST_MODE = 1 ]; then
    for WORKLOAD in idle startup; do
      has "$ONLY" $WORKLOAD || continue
      for peer in "${PEER_LIST[@]}"; do
        [ "$peer" != direct ] || continue
        if [ $WORKLOAD = idle ]; then
          for ROUND in $(seq "$REPS"); do say "== $MODE idle $ROUND/$REPS $peer"; idle "$peer"; done
        else
          say "== $MODE startup $peer: $STARTUP_RUNS runs"; startup "$peer"
        fi
      done
    done
  fi
  stop_backends
  CORES=$SAVED_CORES
  FIRST_MODE=0
done

if has "$ONLY" tls && ! command -v haproxy > /dev/null; then
  say "tls left out: bench/tls.sh measures against HAProxy, which is not installed"
elif has "$ONLY" tls; then
  say "== tls: bench/tls.sh --rounds $REPS (its own backends and proxies, pinned); raw: $OUT/tls"
  tls_yaml="transport: $TRANSPORT${LOOPS:+\nevent-loop-threads: $LOOPS}${SPIN:+\nevent-loop-spin: $SPIN}"
  "$HERE/tls.sh" --rounds "$REPS" --secs "$TLS_SECS" --warm "$TLS_WARM" --java "$WEIR_JAVA" --out "$OUT/tls" \
    "weir=$WEIR_OPTS|$tls_yaml" > "$OUT/tls.md"
fi

# ---- the tables --------------------------------------------------------------------------------
{
  if [ "$WEIR_JAR" = "$ROOT/proxy/target/weir.jar" ]; then weir_build=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); else weir_build=$WEIR_JAR; fi
  echo "Weir $weir_build on $("$WEIR_JAVA" -version 2>&1 | head -1 | tr -d '"')${WEIR_OPTS:+ ($WEIR_OPTS)}," \
    "transport: $TRANSPORT; access logs $([ $ACCESS_LOG = 1 ] && echo on || echo off); $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(haproxy -v 2>/dev/null | head -1 | cut -d' ' -f1-3);" \
    "$(nginx -v 2>&1); $REPS rounds; $(date -u +%Y-%m-%dT%H:%MZ); raw: $RESULTS"
  descs=()
  for m in "${!DESC[@]}"; do descs+=("$m=${DESC[$m]}"); done
  grep -v 'machine load average' "$RESULTS" > "$OUT/figures.tsv" || true
  [ ! -s "$OUT/figures.tsv" ] || python3 "$HERE/lib/summary.py" "$OUT/figures.tsv" "${descs[@]}"
  for m in ${MODES//,/ }; do
    if [ -s "$OUT/$m/syscalls.md" ]; then
      echo; echo "### $m: system calls per proxied connection (strace; ${DESC[$m]})"; cat "$OUT/$m/syscalls.md"
    fi
  done
  if [ -s "$OUT/tls.md" ]; then echo; echo "### TLS termination (bench/tls.sh)"; echo; cat "$OUT/tls.md"; fi
  loads=$(awk -F'\t' '$5 ~ /load average/ {print $6}' "$RESULTS" | sort -n | sed -n '1p;$p' | paste -sd-)
  if [ -n "$loads" ]; then echo; echo "Load average (1 min) at the start of each run: $loads"; fi
  echo "The run took $(( SECONDS / 60 )) min $(( SECONDS % 60 )) s."
} | tee "$OUT/summary.md"
