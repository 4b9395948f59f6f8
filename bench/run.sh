#!/usr/bin/env bash
# Weir side by side with a direct connection and HAProxy (mode tcp), on loopback.
# Uses the built jars (proxy/target/weir.jar, backend-sample/target/backend-sample.jar); builds nothing
# except compiling bench/LoadGen.java into a temporary directory. See bench/RESULTS.md.
#
#   bench/run.sh [--pin] [--only bulk,redis,short,idle,startup,tls] [--peers direct,weir,haproxy]
#                [--java PATH] [--weir-opts "JVM FLAGS"] [--transport T] [--reps N] [--idle-count N]
#                [--loops N] [--spin DUR] [--jfr DIR] [--out DIR]
#
#   --pin         proxy on CPU 1; backends and load generators on CPU 0 (taskset)
#   --only        workloads to run (default: all); tls runs bench/tls.sh (TLS termination: new and resumed
#                 handshakes with ECDSA and RSA certificates, bulk over one TLS stream, redis over TLS, against
#                 nginx and two HAProxies in paired rounds, always pinned) with --reps rounds, this run's Weir
#                 settings, and nginx where it is installed
#   --peers       peers to measure (default: direct,weir,haproxy; haproxy is skipped if not installed)
#   --java        the java binary that runs Weir (default: java on PATH); jcmd is taken from beside it
#   --weir-opts   extra JVM flags for Weir, e.g. "-XX:+UseParallelGC"
#   --transport   Weir's transport: auto (default), io_uring, epoll, nio
#   --reps        repetitions of each workload (default 3)
#   --idle-count  idle connections to open (default: 10000, capped so that the proxy's 2 fds per
#                 connection fit under the hard fd limit)
#   --loops N     Weir's event-loop-threads (default 0: one per CPU it may run on)
#   --spin DUR    Weir's event-loop-spin, e.g. 0s to turn it off (default: Weir's own default, 20us)
#   --jfr DIR     record a JFR profile (settings=profile) of Weir during the first repetition of each
#                 workload into DIR/weir-WORKLOAD.jfr (adds overhead: use a separate run for numbers)
#   --out DIR     keep logs, configs and results.tsv here (default: a new temporary directory)
#
# Needs: java 17+, iperf3, redis-server, redis-benchmark (redis-tools), haproxy (optional), taskset; for tls also
# openssl, python3, haproxy and (optional) nginx with libnginx-mod-stream.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WEIR_JAR=$ROOT/proxy/target/weir.jar
SAMPLE_JAR=$ROOT/backend-sample/target/backend-sample.jar

PIN=0
ONLY=bulk,redis,short,idle,startup,tls
PEERS=direct,weir,haproxy
WEIR_JAVA=java
WEIR_OPTS=""
TRANSPORT=auto
REPS=3
LOOPS=0
SPIN=""
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
    --transport) TRANSPORT=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --idle-count) IDLE_COUNT=$2; shift ;;
    --loops) LOOPS=$2; shift ;;
    --spin) SPIN=$2; shift ;;
    --jfr) JFR_DIR=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
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
uticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12}'; }       # utime alone
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
# Weir and HAProxy run side by side on their own ports, so that each repetition of a workload
# visits every peer in turn and noise from other processes falls on all of them alike.
declare -A ECHO_T IPERF_T REDIS_T PID
ECHO_T[direct]=127.0.0.1:$E1,127.0.0.1:$E2; IPERF_T[direct]=$IPERF; REDIS_T[direct]=$REDIS; PID[direct]=""
free_port W_ECHO W_IPERF W_REDIS H_ECHO H_IPERF H_REDIS
ECHO_T[weir]=127.0.0.1:$W_ECHO; IPERF_T[weir]=$W_IPERF; REDIS_T[weir]=$W_REDIS
ECHO_T[haproxy]=127.0.0.1:$H_ECHO; IPERF_T[haproxy]=$H_IPERF; REDIS_T[haproxy]=$H_REDIS
MAXCONN=$(( IDLE_COUNT + 100 ))

cat > "$OUT/weir.yaml" <<EOF
# bench config: no admin endpoint, no access log (one log line per connection would be measured too)
transport: $TRANSPORT
event-loop-threads: $LOOPS
${SPIN:+event-loop-spin: $SPIN}
listeners:
  echo:  {bind: 127.0.0.1:$W_ECHO,  pool: echo,  max-connections: 20000}
  iperf: {bind: 127.0.0.1:$W_IPERF, pool: iperf, max-connections: 100}
  redis: {bind: 127.0.0.1:$W_REDIS, pool: redis, max-connections: 1000}
pools:
  echo:  {balance: round-robin, backends: [127.0.0.1:$E1, 127.0.0.1:$E2]}
  iperf: {balance: round-robin, backends: [127.0.0.1:$IPERF]}
  redis: {balance: round-robin, backends: [127.0.0.1:$REDIS]}
shutdown: {drain-timeout: 0s}
admin: {bind: "off"}
access-log: {enabled: false}
EOF

cat > "$OUT/haproxy.cfg" <<EOF
# no log directive: HAProxy logs nothing, like Weir with access-log off
global
    maxconn $MAXCONN
defaults
    mode tcp
    maxconn $MAXCONN
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen echo
    bind 127.0.0.1:$H_ECHO
    balance roundrobin
    server e1 127.0.0.1:$E1
    server e2 127.0.0.1:$E2
listen iperf
    bind 127.0.0.1:$H_IPERF
    server i1 127.0.0.1:$IPERF
listen redis
    bind 127.0.0.1:$H_REDIS
    server r1 127.0.0.1:$REDIS
EOF

start_proxy() {   # $1 = weir | haproxy; sets PID[$1]
  case $1 in
    weir)
      # shellcheck disable=SC2086
      "${PIN_PROXY[@]}" "$WEIR_JAVA" $WEIR_OPTS -jar "$WEIR_JAR" run -c "$OUT/weir.yaml" >> "$OUT/weir.log" 2>&1 &
      ;;
    haproxy)
      "${PIN_PROXY[@]}" haproxy -db -f "$OUT/haproxy.cfg" >> "$OUT/haproxy.log" 2>&1 &
      ;;
  esac
  PID[$1]=$!
  PIDS+=("${PID[$1]}")
  local t
  for t in "${ECHO_T[$1]#*:}" "${IPERF_T[$1]}" "${REDIS_T[$1]}"; do wait_port "$t" 30; done
}
stop_proxy() {
  local p=${PID[$1]:-}
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  PID[$1]=""
}

jfr_on() { [ -n "$JFR_DIR" ] && [ "$1" = weir ] && [ "$3" = 1 ] && [ -n "$JCMD" ]; }
jfr_start() {   # $1 = peer, $2 = workload, $3 = rep
  if jfr_on "$@"; then
    "$JCMD" "${PID[weir]}" JFR.start name="$2" settings=profile filename="$JFR_DIR/weir-$2.jfr" > /dev/null
  fi
}
jfr_stop() {
  if jfr_on "$@"; then
    "$JCMD" "${PID[weir]}" JFR.stop name="$2" > /dev/null
    say "JFR: $JFR_DIR/weir-$2.jfr"
  fi
}

# ---- workloads -------------------------------------------------------------------------------
bulk() {   # $1 peer
  local p=${PID[$1]} t0 t1 u0 u1 json bytes bps
  [ -z "$p" ] || { t0=$(ticks "$p"); u0=$(uticks "$p"); }
  json=$("${PIN_LOAD[@]}" iperf3 -c 127.0.0.1 -p "${IPERF_T[$1]}" -t "$BULK_SECS" -J)
  [ -z "$p" ] || { t1=$(ticks "$p"); u1=$(uticks "$p"); }
  read -r bytes bps < <(echo "$json" | awk '/"sum_received"/ {s=1} s && /"bytes"/ {gsub(/[^0-9.e+]/,"",$2); b=$2}
      s && /"bits_per_second"/ {gsub(/[^0-9.e+]/,"",$2); print b, $2; exit}')
  record "$1" "bulk 1 stream, Gbit/s" "$(calc "$bps / 1e9")"
  if [ -n "$p" ]; then
    record "$1" "bulk: proxy CPU s per GB" "$(calc "($t1 - $t0) / $HZ / ($bytes / 1e9)")"
    record "$1" "bulk: proxy CPU in user space %" "$(calc "($u1 - $u0) / ($t1 - $t0) * 100")"
  fi
}

redis() {   # $1 peer
  local p=${PID[$1]} t0 t1 u0 u1 line rps p50 p99
  [ -z "$p" ] || { t0=$(ticks "$p"); u0=$(uticks "$p"); }
  line=$("${PIN_LOAD[@]}" redis-benchmark -h 127.0.0.1 -p "${REDIS_T[$1]}" -c "$REDIS_CONNS" -n "$REDIS_N" \
    -t set --csv | grep '^"SET"')
  [ -z "$p" ] || { t1=$(ticks "$p"); u1=$(uticks "$p"); }
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  IFS=, read -r _ rps _ _ p50 _ p99 _ <<< "${line//\"/}"
  record "$1" "redis SET c50, ops/s" "$rps"
  record "$1" "redis SET c50, p50 ms" "$p50"
  record "$1" "redis SET c50, p99 ms" "$p99"
  if [ -n "$p" ]; then
    record "$1" "redis: proxy CPU µs per op" "$(calc "($t1 - $t0) / $HZ * 1e6 / $REDIS_N")"
    record "$1" "redis: proxy CPU in user space %" "$(calc "($u1 - $u0) / ($t1 - $t0) * 100")"
  fi
}

short() {   # $1 peer
  local p=${PID[$1]} t0 t1 u0 u1 out conns rate secs
  [ -z "$p" ] || { t0=$(ticks "$p"); u0=$(uticks "$p"); }
  out=$(loadgen short "${ECHO_T[$1]}" "$SHORT_SECS" "$SHORT_CONC" 100)
  [ -z "$p" ] || { t1=$(ticks "$p"); u1=$(uticks "$p"); }
  say "short: $out"
  conns=$(echo "$out" | sed 's/.*conns=\([0-9]*\).*/\1/')
  secs=$(echo "$out" | sed 's/.*secs=\([0-9.]*\).*/\1/')
  rate=$(echo "$out" | sed 's/.*rate=\([0-9.]*\).*/\1/')
  record "$1" "short conns c50, conn/s" "$rate"
  if [ -n "$p" ]; then
    record "$1" "short: proxy CPU µs per conn" "$(calc "($t1 - $t0) / $HZ * 1e6 / $conns")"
    record "$1" "short: proxy CPU busy %" "$(calc "($t1 - $t0) / $HZ / $secs * 100")"
    record "$1" "short: proxy CPU in user space %" "$(calc "($u1 - $u0) / ($t1 - $t0) * 100")"
  fi
}

heap_used_kib() {   # live heap after a full GC, KiB (Weir only): the sum of the generations' "used"
  "$JCMD" "$1" GC.run > /dev/null
  heap_now_kib "$1"
}

heap_now_kib() {    # heap in use now, KiB, live and garbage alike (no GC first)
  "$JCMD" "$1" GC.heap_info | grep -v -i 'metaspace\|class space' \
    | sed -n 's/.*total [0-9]*K, used \([0-9]*\)K.*/\1/p' | awk '{s += $1} END {print s}'
}

gc_count() {        # collections so far (young and full), from the JVM's own counters
  "$JCMD" "$1" PerfCounter.print 2>/dev/null | sed -n 's/^sun.gc.collector.[0-9]*.invocations=\([0-9]*\)/\1/p' \
    | awk '{s += $1} END {print s + 0}'
}

idle() {   # $1 peer (a fresh proxy each time)
  local p rss0 rss1 heap0="" heap1 used0 used1 gcs0 ready lg opened
  start_proxy "$1"
  p=${PID[$1]}
  sleep 1
  if [ "$1" = weir ] && [ -n "$JCMD" ]; then
    heap0=$(heap_used_kib "$p"); sleep 1
    used0=$(heap_now_kib "$p"); gcs0=$(gc_count "$p")
  fi
  rss0=$(rss_kib "$p")
  ready=$OUT/idle.ready
  rm -f "$ready"
  # not through the loadgen function: $! must be the java process itself (taskset execs it)
  "${PIN_LOAD[@]}" java -XX:+UseSerialGC -cp "$CLS" LoadGen idle "${ECHO_T[$1]}" "$IDLE_COUNT" "$ready" \
    > "$OUT/idle.log" 2>&1 &
  lg=$!
  PIDS+=("$lg")
  for _ in $(seq 1200); do [ -s "$ready" ] && break; kill -0 $lg 2>/dev/null || break; sleep 0.1; done
  if [ ! -s "$ready" ]; then
    say "idle: load generator failed, see $OUT/idle.log"
    kill $lg 2>/dev/null || true
    stop_proxy "$1"
    return
  fi
  say "idle: $(cat "$ready")"
  opened=$(sed 's/open=\([0-9]*\).*/\1/' "$ready")
  sleep 2
  rss1=$(rss_kib "$p")
  record "$1" "idle $IDLE_COUNT conns: RSS growth KiB/conn" "$(calc "($rss1 - $rss0) / $opened")"
  if [ -n "$heap0" ]; then
    # Allocated while the connections opened (live and garbage): only when no GC ran in between.
    used1=$(heap_now_kib "$p")
    if [ "$(gc_count "$p")" = "$gcs0" ]; then
      record "$1" "idle: heap allocated KiB/conn" "$(calc "($used1 - $used0) / $opened")"
    fi
    heap1=$(heap_used_kib "$p")
    record "$1" "idle: live heap growth KiB/conn" "$(calc "($heap1 - $heap0) / $opened")"
  fi
  kill "$lg" 2>/dev/null || true
  wait "$lg" 2>/dev/null || true
  sleep 1
  stop_proxy "$1"
}

warmup() {   # $1 peer; JIT and caches, not recorded
  loadgen short "${ECHO_T[$1]}" 5 "$SHORT_CONC" 100 > /dev/null
  "${PIN_LOAD[@]}" iperf3 -c 127.0.0.1 -p "${IPERF_T[$1]}" -t 2 > /dev/null
  "${PIN_LOAD[@]}" redis-benchmark -h 127.0.0.1 -p "${REDIS_T[$1]}" -c "$REDIS_CONNS" -n 50000 -t set -q > /dev/null
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }

say "java for Weir: $("$WEIR_JAVA" -version 2>&1 | head -1); opts: ${WEIR_OPTS:-none}; transport: $TRANSPORT; pinned: $PIN; event loops: $LOOPS (0 = one per CPU); spin: ${SPIN:-default}"
if has "$ONLY" bulk || has "$ONLY" redis || has "$ONLY" short; then
  for peer in ${PEERS//,/ }; do
    [ "$peer" = direct ] || start_proxy "$peer"
    say "== $peer: warm-up"
    warmup "$peer"
  done
  for w in bulk redis short; do
    has "$ONLY" $w || continue
    for rep in $(seq "$REPS"); do
      for peer in ${PEERS//,/ }; do
        say "== $w $rep/$REPS $peer (load average $(loadavg))"
        record "$peer" "machine load average (1 min) at start" "$(loadavg)"
        jfr_start "$peer" $w "$rep"
        $w "$peer"
        jfr_stop "$peer" $w "$rep"
      done
    done
  done
  for peer in ${PEERS//,/ }; do stop_proxy "$peer"; done
fi

if has "$ONLY" idle; then
  for rep in $(seq "$REPS"); do
    for peer in ${PEERS//,/ }; do
      [ "$peer" != direct ] || continue
      say "== idle $rep/$REPS $peer"
      idle "$peer"
    done
  done
fi

if has "$ONLY" startup && has "$PEERS" weir; then
  say "== weir startup: java -jar weir.jar run until the listener accepts, 5 runs"
  # shellcheck disable=SC2086
  out=$(loadgen startup "${ECHO_T[weir]}" 5 30 -- "${PIN_PROXY[@]}" "$WEIR_JAVA" $WEIR_OPTS -jar "$WEIR_JAR" run -c "$OUT/weir.yaml")
  echo "$out" >&2
  for ms in $(echo "$out" | sed -n 's/^run [0-9]*: \([0-9]*\) ms/\1/p'); do record weir "start to accepting, ms" "$ms"; done
fi

if has "$ONLY" tls && ! command -v haproxy > /dev/null; then
  say "tls left out: bench/tls.sh measures against HAProxy, which is not installed"
elif has "$ONLY" tls; then
  say "== tls: bench/tls.sh --rounds $REPS (its own backends and proxies, pinned); raw: $OUT/tls"
  tls_yaml="transport: $TRANSPORT\nevent-loop-threads: $LOOPS${SPIN:+\nevent-loop-spin: $SPIN}"
  "$HERE/tls.sh" --rounds "$REPS" --java "$WEIR_JAVA" --out "$OUT/tls" $(command -v nginx >/dev/null || echo --no-nginx) \
    "weir=$WEIR_OPTS|$tls_yaml" > "$OUT/tls.md"
fi

echo
echo "Weir on $("$WEIR_JAVA" -version 2>&1 | head -1 | tr -d '"')${WEIR_OPTS:+ ($WEIR_OPTS)}, transport: $TRANSPORT;" \
  "pinned: $([ $PIN = 1 ] && echo 'proxy CPU 1, load CPU 0' || echo no); $REPS reps; raw: $RESULTS"
if [ -s "$RESULTS" ]; then loadgen table "$RESULTS"; fi
if [ -s "$OUT/tls.md" ]; then echo; echo "TLS termination (bench/tls.sh):"; cat "$OUT/tls.md"; fi
