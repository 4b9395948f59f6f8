#!/usr/bin/env bash
# Weir side by side with a direct connection and HAProxy (mode tcp), on loopback.
# Uses the built jars (proxy/target/weir.jar, backend-sample/target/backend-sample.jar); builds nothing
# except compiling bench/LoadGen.java into a temporary directory. See bench/RESULTS.md.
#
#   bench/run.sh [--pin] [--only bulk,redis,short,idle,startup] [--peers direct,weir,haproxy]
#                [--java PATH] [--weir-opts "JVM FLAGS"] [--reps N] [--idle-count N]
#                [--jfr DIR] [--out DIR]
#
#   --pin         proxy on CPU 1; backends and load generators on CPU 0 (taskset)
#   --only        workloads to run (default: all)
#   --peers       peers to measure (default: direct,weir,haproxy; haproxy is skipped if not installed)
#   --java        the java binary that runs Weir (default: java on PATH); jcmd is taken from beside it
#   --weir-opts   extra JVM flags for Weir, e.g. "-XX:+UseParallelGC"
#   --reps        repetitions of each workload (default 3)
#   --idle-count  idle connections to open (default: 10000, capped so that the proxy's 2 fds per
#                 connection fit under the hard fd limit)
#   --jfr DIR     record a JFR profile (settings=profile) of Weir during the first repetition of each
#                 workload into DIR/weir-WORKLOAD.jfr (adds overhead: use a separate run for numbers)
#   --out DIR     keep logs, configs and results.tsv here (default: a new temporary directory)
#
# Needs: java 17+, iperf3, redis-server, redis-benchmark (redis-tools), haproxy (optional), taskset.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WEIR_JAR=$ROOT/proxy/target/weir.jar
SAMPLE_JAR=$ROOT/backend-sample/target/backend-sample.jar

PIN=0
ONLY=bulk,redis,short,idle,startup
PEERS=direct,weir,haproxy
WEIR_JAVA=java
WEIR_OPTS=""
REPS=3
IDLE_COUNT=""
JFR_DIR=""
OUT=""
BULK_SECS=${BULK_SECS:-5}          # the environment may shorten these for a smoke test
SHORT_SECS=${SHORT_SECS:-10}
SHORT_CONC=${SHORT_CONC:-50}
REDIS_N=${REDIS_N:-200000}
REDIS_CONNS=50

while [ $# -gt 0 ]; do
  case $1 in
    --pin) PIN=1 ;;
    --only) ONLY=$2; shift ;;
    --peers) PEERS=$2; shift ;;
    --java) WEIR_JAVA=$2; shift ;;
    --weir-opts) WEIR_OPTS=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --idle-count) IDLE_COUNT=$2; shift ;;
    --jfr) JFR_DIR=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

has() { [[ ",$1," == *",$2,"* ]]; }
say() { echo "[bench] $*" >&2; }

# ---- prerequisites ---------------------------------------------------------------------------
for j in "$WEIR_JAR" "$SAMPLE_JAR"; do
  [ -f "$j" ] || { echo "missing $j: build first with: mvn -q package -DskipTests" >&2; exit 1; }
done
command -v "$WEIR_JAVA" >/dev/null || { echo "no java at $WEIR_JAVA" >&2; exit 1; }
JCMD=$(dirname "$(readlink -f "$(command -v "$WEIR_JAVA")")")/jcmd
[ -x "$JCMD" ] || JCMD=""
missing=()
for t in iperf3 redis-server redis-benchmark; do command -v $t >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]}. Install with: sudo apt-get install -y iperf3 redis-server redis-tools" >&2
  exit 1
fi
if has "$PEERS" haproxy && ! command -v haproxy >/dev/null; then
  echo "HAProxy is not installed, so it is left out of this run. To compare against it:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y haproxy      # Debian 12 ships 2.6" >&2
  PEERS=$(echo ",$PEERS," | sed 's/,haproxy,/,/; s/^,//; s/,$//')
fi
if [ $PIN = 1 ]; then
  command -v taskset >/dev/null || { echo "--pin needs taskset (util-linux)" >&2; exit 1; }
  [ "$(nproc --all)" -ge 2 ] || { echo "--pin needs 2 CPUs" >&2; exit 1; }
  PIN_PROXY=(taskset -c 1)
  PIN_LOAD=(taskset -c 0)
else
  PIN_PROXY=()
  PIN_LOAD=()
fi

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

# ---- state, cleanup --------------------------------------------------------------------------
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/weir-bench.XXXXXX)
mkdir -p "$OUT"
[ -z "$JFR_DIR" ] || mkdir -p "$JFR_DIR"
RESULTS=$OUT/results.tsv
: > "$RESULTS"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLS=$OUT/classes
mkdir -p "$CLS"
javac -d "$CLS" "$HERE/LoadGen.java"
loadgen() { "${PIN_LOAD[@]}" java -XX:+UseSerialGC -cp "$CLS" LoadGen "$@"; }

NEXT_PORT=$(( 20000 + RANDOM % 8000 ))
free_port() {   # sets the variables named in $@ to distinct ports nobody uses
  local v
  for v in "$@"; do
    while [ -n "$(ss -Htan "sport = :$NEXT_PORT")" ]; do NEXT_PORT=$((NEXT_PORT + 1)); done
    printf -v "$v" %s "$NEXT_PORT"
    NEXT_PORT=$((NEXT_PORT + 1))
  done
}
wait_port() { loadgen wait "127.0.0.1:$1" "${2:-20}" || { say "port $1 never accepted"; return 1; }; }
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }   # utime+stime, whole process
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RESULTS"; say "$1 $2 = $3"; }
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }

# ---- backends --------------------------------------------------------------------------------
free_port E1 E2 IPERF REDIS
"${PIN_LOAD[@]}" java -jar "$SAMPLE_JAR" --name e1 --host 127.0.0.1 --port "$E1" > "$OUT/echo1.log" 2>&1 &
PIDS+=($!)
"${PIN_LOAD[@]}" java -jar "$SAMPLE_JAR" --name e2 --host 127.0.0.1 --port "$E2" > "$OUT/echo2.log" 2>&1 &
PIDS+=($!)
"${PIN_LOAD[@]}" iperf3 -s -B 127.0.0.1 -p "$IPERF" > "$OUT/iperf3.log" 2>&1 &
PIDS+=($!)
"${PIN_LOAD[@]}" redis-server --bind 127.0.0.1 --port "$REDIS" --save "" --appendonly no \
  --protected-mode no --maxclients 20000 --dir "$OUT" > "$OUT/redis.log" 2>&1 &
PIDS+=($!)
for p in $E1 $E2 $IPERF $REDIS; do wait_port "$p"; done
say "backends: echo 127.0.0.1:$E1,$E2 iperf3 :$IPERF redis :$REDIS; logs in $OUT"

# ---- proxies ---------------------------------------------------------------------------------
free_port P_ECHO P_IPERF P_REDIS
MAXCONN=$(( IDLE_COUNT + 100 ))

cat > "$OUT/weir.yaml" <<EOF
# bench config: no admin endpoint, no access log (one log line per connection would be measured too)
transport: auto
event-loop-threads: 0
listeners:
  echo:  {bind: 127.0.0.1:$P_ECHO,  pool: echo,  max-connections: 20000}
  iperf: {bind: 127.0.0.1:$P_IPERF, pool: iperf, max-connections: 100}
  redis: {bind: 127.0.0.1:$P_REDIS, pool: redis, max-connections: 1000}
pools:
  echo:  {balance: round-robin, backends: [127.0.0.1:$E1, 127.0.0.1:$E2]}
  iperf: {balance: round-robin, backends: [127.0.0.1:$IPERF]}
  redis: {balance: round-robin, backends: [127.0.0.1:$REDIS]}
shutdown: {drain-timeout: 0s}
admin: {bind: "off"}
access-log: {enabled: false}
EOF

cat > "$OUT/haproxy.cfg" <<EOF
global
    maxconn $MAXCONN
defaults
    mode tcp
    maxconn $MAXCONN
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen echo
    bind 127.0.0.1:$P_ECHO
    balance roundrobin
    server e1 127.0.0.1:$E1
    server e2 127.0.0.1:$E2
listen iperf
    bind 127.0.0.1:$P_IPERF
    server i1 127.0.0.1:$IPERF
listen redis
    bind 127.0.0.1:$P_REDIS
    server r1 127.0.0.1:$REDIS
EOF

PROXY_PID=""
start_proxy() {   # $1 = weir | haproxy
  case $1 in
    weir)
      # shellcheck disable=SC2086
      "${PIN_PROXY[@]}" "$WEIR_JAVA" $WEIR_OPTS -jar "$WEIR_JAR" run -c "$OUT/weir.yaml" >> "$OUT/weir.log" 2>&1 &
      ;;
    haproxy)
      "${PIN_PROXY[@]}" haproxy -db -f "$OUT/haproxy.cfg" >> "$OUT/haproxy.log" 2>&1 &
      ;;
  esac
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  for p in $P_ECHO $P_IPERF $P_REDIS; do wait_port "$p" 30; done
}
stop_proxy() {
  [ -n "$PROXY_PID" ] || return 0
  kill "$PROXY_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
  PROXY_PID=""
}

jfr_start() {   # $1 = peer, $2 = workload, $3 = rep
  if [ -n "$JFR_DIR" ] && [ "$1" = weir ] && [ "$3" = 1 ] && [ -n "$JCMD" ]; then
    "$JCMD" "$PROXY_PID" JFR.start name="$2" settings=profile filename="$JFR_DIR/weir-$2.jfr" > /dev/null
  fi
}
jfr_stop() {
  if [ -n "$JFR_DIR" ] && [ "$1" = weir ] && [ "$3" = 1 ] && [ -n "$JCMD" ]; then
    "$JCMD" "$PROXY_PID" JFR.stop name="$2" > /dev/null
    say "JFR: $JFR_DIR/weir-$2.jfr"
  fi
}

# ---- workloads -------------------------------------------------------------------------------
bulk() {   # $1 peer, $2 port, $3 rep
  local t0 t1 json bytes bps
  [ -z "$PROXY_PID" ] || t0=$(ticks "$PROXY_PID")
  json=$("${PIN_LOAD[@]}" iperf3 -c 127.0.0.1 -p "$2" -t "$BULK_SECS" -J)
  [ -z "$PROXY_PID" ] || t1=$(ticks "$PROXY_PID")
  read -r bytes bps < <(echo "$json" | awk '/"sum_received"/ {s=1} s && /"bytes"/ {gsub(/[^0-9.e+]/,"",$2); b=$2}
      s && /"bits_per_second"/ {gsub(/[^0-9.e+]/,"",$2); print b, $2; exit}')
  record "$1" "bulk 1 stream, Gbit/s" "$(calc "$bps / 1e9")"
  [ -z "$PROXY_PID" ] || record "$1" "bulk: proxy CPU s per GB" "$(calc "($t1 - $t0) / $HZ / ($bytes / 1e9)")"
}

redis() {   # $1 peer, $2 port
  local t0 t1 line
  [ -z "$PROXY_PID" ] || t0=$(ticks "$PROXY_PID")
  line=$("${PIN_LOAD[@]}" redis-benchmark -h 127.0.0.1 -p "$2" -c "$REDIS_CONNS" -n "$REDIS_N" -t set --csv \
    | grep '^"SET"')
  [ -z "$PROXY_PID" ] || t1=$(ticks "$PROXY_PID")
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  IFS=, read -r _ rps _ _ p50 _ p99 _ <<< "${line//\"/}"
  record "$1" "redis SET c50, ops/s" "$rps"
  record "$1" "redis SET c50, p50 ms" "$p50"
  record "$1" "redis SET c50, p99 ms" "$p99"
  [ -z "$PROXY_PID" ] || record "$1" "redis: proxy CPU µs per op" "$(calc "($t1 - $t0) / $HZ * 1e6 / $REDIS_N")"
}

short() {   # $1 peer, $2 targets
  local t0 t1 out conns rate secs
  [ -z "$PROXY_PID" ] || t0=$(ticks "$PROXY_PID")
  out=$(loadgen short "$2" "$SHORT_SECS" "$SHORT_CONC" 100)
  [ -z "$PROXY_PID" ] || t1=$(ticks "$PROXY_PID")
  say "short: $out"
  conns=$(echo "$out" | sed 's/.*conns=\([0-9]*\).*/\1/')
  secs=$(echo "$out" | sed 's/.*secs=\([0-9.]*\).*/\1/')
  rate=$(echo "$out" | sed 's/.*rate=\([0-9.]*\).*/\1/')
  record "$1" "short conns c50, conn/s" "$rate"
  if [ -n "$PROXY_PID" ]; then
    record "$1" "short: proxy CPU µs per conn" "$(calc "($t1 - $t0) / $HZ * 1e6 / $conns")"
    record "$1" "short: proxy CPU busy %" "$(calc "($t1 - $t0) / $HZ / $secs * 100")"
  fi
}

heap_used_kib() {   # live heap after a full GC, KiB (Weir only)
  "$JCMD" "$1" GC.run > /dev/null
  "$JCMD" "$1" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | grep -o '[0-9]*'
}

idle() {   # $1 peer (fresh proxy each time)
  local rss0 rss1 heap0="" heap1 ready lg opened
  start_proxy "$1"
  sleep 1
  if [ "$1" = weir ] && [ -n "$JCMD" ]; then heap0=$(heap_used_kib "$PROXY_PID"); sleep 1; fi
  rss0=$(rss_kib "$PROXY_PID")
  ready=$OUT/idle.ready
  rm -f "$ready"
  # not through the loadgen function: $! must be the java process itself (taskset execs it)
  "${PIN_LOAD[@]}" java -XX:+UseSerialGC -cp "$CLS" LoadGen idle "127.0.0.1:$P_ECHO" "$IDLE_COUNT" "$ready" \
    > "$OUT/idle.log" 2>&1 &
  lg=$!
  PIDS+=("$lg")
  for _ in $(seq 1200); do [ -s "$ready" ] && break; kill -0 $lg 2>/dev/null || break; sleep 0.1; done
  [ -s "$ready" ] || { say "idle: load generator failed, see $OUT/idle.log"; kill $lg 2>/dev/null; stop_proxy; return; }
  say "idle: $(cat "$ready")"
  opened=$(sed 's/open=\([0-9]*\).*/\1/' "$ready")
  sleep 2
  rss1=$(rss_kib "$PROXY_PID")
  record "$1" "idle $IDLE_COUNT conns: RSS growth KiB/conn" "$(calc "($rss1 - $rss0) / $opened")"
  if [ -n "$heap0" ]; then
    heap1=$(heap_used_kib "$PROXY_PID")
    record "$1" "idle: live heap growth KiB/conn" "$(calc "($heap1 - $heap0) / $opened")"
  fi
  kill "$lg" 2>/dev/null || true
  wait "$lg" 2>/dev/null || true
  sleep 1
  stop_proxy
}

warmup() {   # $1 peer; JIT and caches, not recorded
  loadgen short "$ECHO_T" 3 "$SHORT_CONC" 100 > /dev/null
  "${PIN_LOAD[@]}" iperf3 -c 127.0.0.1 -p "$IPERF_T" -t 2 > /dev/null
  "${PIN_LOAD[@]}" redis-benchmark -h 127.0.0.1 -p "$REDIS_T" -c "$REDIS_CONNS" -n 50000 -t set -q > /dev/null
}

say "java for Weir: $("$WEIR_JAVA" -version 2>&1 | head -1); opts: ${WEIR_OPTS:-none}; pinned: $PIN"
for peer in ${PEERS//,/ }; do
  if has "$ONLY" bulk || has "$ONLY" redis || has "$ONLY" short; then
    if [ "$peer" = direct ]; then
      ECHO_T=127.0.0.1:$E1,127.0.0.1:$E2; IPERF_T=$IPERF; REDIS_T=$REDIS
    else
      ECHO_T=127.0.0.1:$P_ECHO; IPERF_T=$P_IPERF; REDIS_T=$P_REDIS
      start_proxy "$peer"
    fi
    say "== $peer: warm-up"
    warmup "$peer"
    for w in bulk redis short; do
      has "$ONLY" $w || continue
      for rep in $(seq "$REPS"); do
        say "== $peer $w $rep/$REPS"
        jfr_start "$peer" $w "$rep"
        case $w in
          bulk) bulk "$peer" "$IPERF_T" ;;
          redis) redis "$peer" "$REDIS_T" ;;
          short) short "$peer" "$ECHO_T" ;;
        esac
        jfr_stop "$peer" $w "$rep"
      done
    done
    stop_proxy
  fi
  if has "$ONLY" idle && [ "$peer" != direct ]; then
    for rep in $(seq "$REPS"); do
      say "== $peer idle $rep/$REPS"
      idle "$peer"
    done
  fi
done

if has "$ONLY" startup && has "$PEERS" weir; then
  say "== weir startup: java -jar weir.jar run until the listener accepts, 5 runs"
  # shellcheck disable=SC2086
  out=$(loadgen startup "127.0.0.1:$P_ECHO" 5 30 -- "${PIN_PROXY[@]}" "$WEIR_JAVA" $WEIR_OPTS -jar "$WEIR_JAR" run -c "$OUT/weir.yaml")
  echo "$out" >&2
  for ms in $(echo "$out" | sed -n 's/^run [0-9]*: \([0-9]*\) ms/\1/p'); do record weir "start to accepting, ms" "$ms"; done
fi

echo
echo "Weir on $("$WEIR_JAVA" -version 2>&1 | head -1 | tr -d '"')${WEIR_OPTS:+ ($WEIR_OPTS)}; pinned: $([ $PIN = 1 ] && echo 'proxy CPU 1, load CPU 0' || echo no); $REPS reps; raw: $RESULTS"
loadgen table "$RESULTS"
