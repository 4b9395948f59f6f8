#!/usr/bin/env bash
# redis-benchmark (or short connections) through several proxies at once, run after run in turn, reported as the
# median of the per-round ratios to HAProxy. Rounds taken back to back share the machine's mood, so the ratios are
# steadier than ratios of medians: a second HAProxy, the control, comes out at 1.00 within about 1%. See
# bench/RESULTS.md.
#
#   bench/paired.sh [--workload redis|short] [--rounds N] [--n OPS] [--secs S] [--java PATH] [--out DIR] VARIANT...
#
#   VARIANT       label=JVM-FLAGS|YAML-LINES[|JAR]: one Weir each, e.g.
#                   'base=|'  'spin20=|event-loop-spin: 20us'  'simple-leaks=-Dio.netty.leakDetection.level=simple|'
#                 (YAML lines are added at the top of the config; separate several with \n); JAR is the weir.jar
#                 to run (default proxy/target/weir.jar), so that two builds compare in one run:
#                   'before=||/tmp/weir-before.jar'  'after=|'
#   --workload    redis (default): redis-benchmark SET, 50 connections, --n OPS per run;
#                 short: bench/LoadGen.java short connections (100 bytes each way, 50 at a time) to a
#                 backend-sample echo server for --secs S (default 5) per run;
#                 tls: new TLS 1.3 handshakes (ECDSA P-256, no resumption) by `openssl s_time -new` for --secs S,
#                 each proxy terminating TLS in front of the echo server (bench/tls.sh has the whole TLS set:
#                 RSA, resumed handshakes, bulk and redis over TLS, nginx as a peer)
#   --rounds N    rounds (default 8); each round runs every proxy once, in the order given, HAProxy last
#
# Pinned like run.sh --pin: every proxy on CPU 1, the backend and the load on CPU 0. Prints one row per proxy:
# for redis ops/s, p50, p95, p99, max and the proxy's CPU µs per operation; for short and tls conn/s and CPU µs
# per connection; each as its median and as the median ratio to HAProxy; and the proxy's sleeps (voluntary context
# switches, every thread) per run.
# Needs: java 17+, redis-server, redis-benchmark, haproxy, taskset, python3 (short, tls: the backend-sample jar;
# tls: openssl).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WEIR_JAR=$(dirname "$HERE")/proxy/target/weir.jar
SAMPLE_JAR=$(dirname "$HERE")/backend-sample/target/backend-sample.jar
WORKLOAD=redis
ROUNDS=8
OPS=200000
SECS=5
JAVA=java
OUT=""
VARIANTS=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --n) OPS=$2; shift ;;
    --secs) SECS=$2; shift ;;
    --workload) WORKLOAD=$2; shift ;;
    --java) JAVA=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    *) VARIANTS+=("$1") ;;
  esac
  shift
done
[ ${#VARIANTS[@]} -gt 0 ] || { echo "give at least one VARIANT (see --help)" >&2; exit 2; }
case $WORKLOAD in redis|short|tls) ;; *) echo "--workload: redis, short or tls" >&2; exit 2 ;; esac
[ "$WORKLOAD" = redis ] || [ -f "$SAMPLE_JAR" ] || { echo "missing $SAMPLE_JAR: mvn -q package -DskipTests" >&2; exit 1; }
NEEDS="haproxy taskset python3"
[ "$WORKLOAD" = redis ] && NEEDS="$NEEDS redis-server redis-benchmark"
[ "$WORKLOAD" = tls ] && NEEDS="$NEEDS openssl"
for t in $NEEDS; do
  command -v $t >/dev/null || { echo "missing: $t" >&2; exit 1; }
done
OUT=${OUT:-$(mktemp -d /tmp/weir-paired.XXXXXX)}
mkdir -p "$OUT"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on $1" >&2; exit 1
}

BACKEND=$(free_port)
if [ "$WORKLOAD" = redis ]; then
  taskset -c 0 redis-server --bind 127.0.0.1 --port "$BACKEND" --save "" --appendonly no --protected-mode no \
    --dir "$OUT" > "$OUT/redis.log" 2>&1 &
else
  taskset -c 0 java -jar "$SAMPLE_JAR" --name e1 --host 127.0.0.1 --port "$BACKEND" > "$OUT/echo.log" 2>&1 &
  CLS=$OUT/classes
  mkdir -p "$CLS"
  javac -d "$CLS" "$HERE/LoadGen.java"
fi
if [ "$WORKLOAD" = tls ]; then   # one certificate for every proxy; HAProxy reads cert and key from one file
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OUT/key.pem" -out "$OUT/cert.pem" \
    -days 2 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2> /dev/null
  cat "$OUT/cert.pem" "$OUT/key.pem" > "$OUT/haproxy.pem"
fi
PIDS+=($!)
wait_port "$BACKEND"

LABELS=(); PORTS=(); PROCS=()
add() { LABELS+=("$1"); PORTS+=("$2"); PROCS+=("$3"); }
for v in "${VARIANTS[@]}"; do
  label=${v%%=*}; rest=${v#*=}; flags=${rest%%|*}; rest=${rest#*|}; yaml=${rest%%|*}
  jar=$WEIR_JAR
  [ "$rest" = "$yaml" ] || jar=${rest#*|}
  [ -f "$jar" ] || { echo "missing $jar: build first with: mvn -q package -DskipTests" >&2; exit 1; }
  port=$(free_port)
  printf '%b\n' "$yaml" > "$OUT/weir-$label.yaml"
  cat >> "$OUT/weir-$label.yaml" <<EOF
listeners:
  front: {bind: 127.0.0.1:$port, pool: back, max-connections: 1000$([ "$WORKLOAD" = tls ] && echo ", tls: {certificates: [{cert: $OUT/cert.pem, key: $OUT/key.pem}]}")}
pools:
  back: {balance: round-robin, backends: [127.0.0.1:$BACKEND]}
shutdown: {drain-timeout: 0s}
admin: {bind: "off"}
access-log: {enabled: false}
EOF
  # shellcheck disable=SC2086
  taskset -c 1 "$JAVA" $flags -jar "$jar" run -c "$OUT/weir-$label.yaml" > "$OUT/weir-$label.log" 2>&1 &
  PIDS+=($!); add "$label" "$port" "$!"
done
for h in haproxy-control haproxy; do
  port=$(free_port)
  cat > "$OUT/$h.cfg" <<EOF
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen front
    bind 127.0.0.1:$port$([ "$WORKLOAD" = tls ] && echo " ssl crt $OUT/haproxy.pem")
    server b1 127.0.0.1:$BACKEND
EOF
  taskset -c 1 haproxy -db -f "$OUT/$h.cfg" > "$OUT/$h.log" 2>&1 &
  PIDS+=($!); add "$h" "$port" "$!"
done

bench() { taskset -c 0 redis-benchmark -p "$1" -c 50 -n "$2" -t set --csv | grep '^"SET"' | tr -d '"'; }
# One run of short connections: "conns=N ... secs=S ... rate=R" from LoadGen.
short() { taskset -c 0 java -XX:+UseSerialGC -cp "$CLS" LoadGen short "127.0.0.1:$1" "$2" 50 100; }
# New handshakes for $2 seconds, one after another: "conns=N ... rate=R" as short() prints it.
handshakes() {
  taskset -c 0 openssl s_time -connect "127.0.0.1:$1" -new -time "$2" 2>/dev/null \
    | awk '/connections in .* real seconds/ {printf "conns=%d secs=%s rate=%.1f\n", $1, $4, $1 / $4}'
}
for i in "${!PORTS[@]}"; do   # warm up: connection set-up (JIT) and the relay
  wait_port "${PORTS[$i]}"
  if [ "$WORKLOAD" = redis ]; then
    for _ in $(seq 100); do bench "${PORTS[$i]}" 100 > /dev/null; done
    bench "${PORTS[$i]}" "$OPS" > /dev/null
  elif [ "$WORKLOAD" = tls ]; then
    handshakes "${PORTS[$i]}" 5 > /dev/null
  else
    short "${PORTS[$i]}" 3 > /dev/null
  fi
done

HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
sleeps() { local s=0 t; for t in /proc/$1/task/*; do s=$((s + $(awk '/^voluntary/ {print $2}' "$t/status"))); done; echo $s; }
RAW=$OUT/rounds.tsv
if [ "$WORKLOAD" = redis ]; then
  printf 'round\tproxy\tops\tp50\tp95\tp99\tmax\tcpu_us_per_op\tsleeps\tload\n' > "$RAW"
else
  printf 'round\tproxy\tconn_per_s\tcpu_us_per_conn\tsleeps\tload\n' > "$RAW"
fi
for r in $(seq "$ROUNDS"); do
  for i in "${!PORTS[@]}"; do
    p=${PROCS[$i]}; t0=$(ticks "$p"); s0=$(sleeps "$p")
    if [ "$WORKLOAD" = redis ]; then
      out=$(bench "${PORTS[$i]}" "$OPS")
      t1=$(ticks "$p"); s1=$(sleeps "$p")
      # test,rps,avg,min,p50,p95,p99,max (milliseconds)
      IFS=, read -r _ ops _ _ p50 p95 p99 max <<< "$out"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "${LABELS[$i]}" "$ops" "$p50" "$p95" \
        "$p99" "$max" "$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v n="$OPS" 'BEGIN {printf "%.2f", (b-a)/hz*1e6/n}')" \
        "$((s1 - s0))" "$(cut -d' ' -f1 /proc/loadavg)" >> "$RAW"
    else
      if [ "$WORKLOAD" = tls ]; then out=$(handshakes "${PORTS[$i]}" "$SECS"); else out=$(short "${PORTS[$i]}" "$SECS"); fi
      t1=$(ticks "$p"); s1=$(sleeps "$p")
      conns=$(echo "$out" | sed 's/.*conns=\([0-9]*\).*/\1/')
      rate=$(echo "$out" | sed 's/.*rate=\([0-9.]*\).*/\1/')
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "${LABELS[$i]}" "$rate" \
        "$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v n="$conns" 'BEGIN {printf "%.2f", (b-a)/hz*1e6/n}')" \
        "$((s1 - s0))" "$(cut -d' ' -f1 /proc/loadavg)" >> "$RAW"
    fi
  done
  echo "[paired] round $r/$ROUNDS done" >&2
done

python3 - "$RAW" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
ref = {r['round']: r for r in rows if r['proxy'] == 'haproxy'}
figs = [f for f in rows[0] if f not in ('round', 'proxy', 'sleeps', 'load')]
print('| proxy | ' + ' | '.join(f'{f} (÷ HAProxy)' for f in figs) + ' | sleeps/run |')
print('|---' * (len(figs) + 2) + '|')
for proxy in dict.fromkeys(r['proxy'] for r in rows):
    mine = [r for r in rows if r['proxy'] == proxy]
    cells = []
    for f in figs:
        med = statistics.median(float(r[f]) for r in mine)
        ratio = statistics.median(float(r[f]) / float(ref[r['round']][f]) for r in mine)
        cells.append(f'{med:.4g} ({ratio:.3f})')
    print(f'| {proxy} | ' + ' | '.join(cells) + f" | {statistics.median(int(r['sleeps']) for r in mine)} |")
print(f'\n{len(ref)} rounds' + (', latencies in ms' if 'p50' in rows[0] else '') + f'; raw: {sys.argv[1]}')
EOF
