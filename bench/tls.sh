#!/usr/bin/env bash
# TLS termination: Weir (one or more variants), nginx (stream, ssl), HAProxy (bind ... ssl crt) and a second
# HAProxy, the control, each terminating TLS in front of plaintext backends, run after run in turn like
# bench/paired.sh: every round runs every workload on every proxy back to back, and each figure is reported as the
# median of the per-round ratios to HAProxy. See bench/RESULTS.md.
#
#   bench/tls.sh [--rounds N] [--secs S] [--warm S] [--only LIST] [--redis-n OPS] [--java PATH] [--no-nginx]
#                [--out DIR] VARIANT...
#
#   VARIANT      label=JVM-FLAGS|YAML-LINES[|JAR], as for bench/paired.sh, e.g. 'weir=|'
#   --only       workloads, comma-separated (default: all):
#                  ec-full      new TLS 1.3 connections, one after another, each a full handshake (ECDSA P-256
#                               certificate) and one request: `openssl s_time -new -www /` to an nginx HTTP
#                               backend that answers 145 bytes and closes (so that every proxy connects
#                               upstream: with a client that closes right after its handshake, HAProxy mostly
#                               skips the backend connect)
#                  rsa-full     the same with an RSA-2048 certificate
#                  ec-resumed   the same, each a resumed TLS 1.3 handshake (s_time -reuse); the reused share
#                               is reported
#                  rsa-resumed  the same with RSA
#                  ec-hello     new TLS 1.3 handshakes, ECDSA, and nothing else (`s_time -new`, as bench/paired.sh
#                               --workload tls): the client closes right after its handshake
#                  bulk         one TLS stream (TLS 1.3, AES-128-GCM) from `openssl s_client` fed from
#                               /dev/zero into a discard backend (bench/sink.py) for S seconds; a "direct"
#                               peer is the client against bench/sink.py --tls on the proxies' CPU (the ceiling)
#                  redis        redis-benchmark --tls SET, 50 connections, --redis-n OPS, to a plaintext redis
#                handshakes and bulk for --secs S (default 5)
#   --rounds N   rounds (default 6)
#   --warm S     an unrecorded warm-up of S seconds (default 30) of the first workload on every proxy, then 3 s of
#                each other one: the JIT needs some thousands of handshakes
#   --no-nginx   leave nginx out
#
# Pinned: every proxy on CPU 1, the backends and the load on CPU 0. CPU is the proxy process's utime+stime
# (every thread; nginx runs as one process, master_process off). Prints one row per workload and proxy: the rate
# (handshakes/s, Gbit/s or ops/s), the CPU per handshake, per GB or per operation, and for resumed handshakes the
# reused share, for redis p50 and p99; each as its median and as the median ratio to HAProxy's in the same round.
# A run that stalled (its rate under a third of the median of the workload's runs, every proxy's: on a shared
# machine, seconds without CPU) is left out, its round with it for the ratios, and counted in the table.
# Needs: java 17+, openssl, haproxy, nginx with the stream module (Debian: nginx libnginx-mod-stream),
# redis-server, redis-benchmark with --tls (Debian 12's has it), taskset, python3.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WEIR_JAR=$(dirname "$HERE")/proxy/target/weir.jar
ALL=ec-full,rsa-full,ec-resumed,rsa-resumed,ec-hello,bulk,redis
ONLY=$ALL
ROUNDS=6
SECS=5
REDIS_N=100000
WARM=30
JAVA=java
NGINX=1
OUT=""
VARIANTS=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --secs) SECS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --redis-n) REDIS_N=$2; shift ;;
    --warm) WARM=$2; shift ;;
    --java) JAVA=$2; shift ;;
    --no-nginx) NGINX=0 ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    *) VARIANTS+=("$1") ;;
  esac
  shift
done
[ ${#VARIANTS[@]} -gt 0 ] || { echo "give at least one VARIANT (see --help)" >&2; exit 2; }
for w in ${ONLY//,/ }; do
  [[ ",$ALL," == *",$w,"* ]] || { echo "--only: unknown workload $w (one of $ALL)" >&2; exit 2; }
done
NEEDS="haproxy nginx openssl redis-server redis-benchmark taskset python3"
for t in $NEEDS; do command -v $t >/dev/null || { echo "missing: $t" >&2; exit 1; }; done
NGINX_STREAM=/usr/lib/nginx/modules/ngx_stream_module.so
[ $NGINX = 0 ] || [ -f $NGINX_STREAM ] || { echo "missing $NGINX_STREAM: apt-get install libnginx-mod-stream" >&2; exit 1; }
OUT=${OUT:-$(mktemp -d /tmp/weir-tls.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on $1" >&2; exit 1
}
has() { [[ ",$ONLY," == *",$1,"* ]]; }

# ---- certificates and backends ---------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OUT/ec.key" -out "$OUT/ec.pem" \
  -days 2 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2> /dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/rsa.key" -out "$OUT/rsa.pem" \
  -days 2 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2> /dev/null
for k in ec rsa; do cat "$OUT/$k.pem" "$OUT/$k.key" > "$OUT/$k-haproxy.pem"; done

HTTP=$(free_port); SINK=$(free_port); REDIS=$(free_port); DIRECT=$(free_port)
mkdir -p "$OUT/http"
cat > "$OUT/http.conf" <<EOF
# the backend of the handshake workloads: one short answer per connection, then close (HTTP/1.0)
daemon off;
master_process off;
worker_processes 1;
pid $OUT/http/nginx.pid;
error_log $OUT/http/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    server { listen 127.0.0.1:$HTTP; location / { return 200 "ok\n"; } }
}
EOF
taskset -c 0 nginx -p "$OUT/http" -e "$OUT/http/error.log" -c "$OUT/http.conf" > "$OUT/http.log" 2>&1 &
PIDS+=($!)
taskset -c 0 python3 "$HERE/sink.py" "$SINK" "$OUT/sink.lines" > "$OUT/sink.log" 2>&1 &
PIDS+=($!)
taskset -c 0 redis-server --bind 127.0.0.1 --port "$REDIS" --save "" --appendonly no --protected-mode no \
  --dir "$OUT" > "$OUT/redis.log" 2>&1 &
PIDS+=($!)
for p in $HTTP $SINK $REDIS; do wait_port "$p"; done

# ---- proxies: each gets four listeners (ec, rsa, bulk, redis) --------------------------------
LABELS=(); PROCS=(); declare -A PORT
add() { LABELS+=("$1"); PROCS+=("$2"); }
ports() {   # $1 label: picks its four ports
  local w
  for w in ec rsa bulk redis; do PORT[$1.$w]=$(free_port); done
}
for v in "${VARIANTS[@]}"; do
  label=${v%%=*}; rest=${v#*=}; flags=${rest%%|*}; rest=${rest#*|}; yaml=${rest%%|*}
  jar=$WEIR_JAR
  [ "$rest" = "$yaml" ] || jar=${rest#*|}
  [ -f "$jar" ] || { echo "missing $jar: build first with: mvn -q package -DskipTests" >&2; exit 1; }
  ports "$label"
  ec="tls: {certificates: [{cert: $OUT/ec.pem, key: $OUT/ec.key}]}"
  printf '%b\n' "$yaml" > "$OUT/weir-$label.yaml"
  cat >> "$OUT/weir-$label.yaml" <<EOF
listeners:
  ec:    {bind: 127.0.0.1:${PORT[$label.ec]}, pool: web, max-connections: 1000, $ec}
  rsa:   {bind: 127.0.0.1:${PORT[$label.rsa]}, pool: web, max-connections: 1000, tls: {certificates: [{cert: $OUT/rsa.pem, key: $OUT/rsa.key}]}}
  bulk:  {bind: 127.0.0.1:${PORT[$label.bulk]}, pool: sink, max-connections: 1000, $ec}
  redis: {bind: 127.0.0.1:${PORT[$label.redis]}, pool: redis, max-connections: 1000, $ec}
pools:
  web:   {balance: round-robin, backends: [127.0.0.1:$HTTP]}
  sink:  {balance: round-robin, backends: [127.0.0.1:$SINK]}
  redis: {balance: round-robin, backends: [127.0.0.1:$REDIS]}
shutdown: {drain-timeout: 0s}
admin: {bind: "off"}
access-log: {enabled: false}
EOF
  # shellcheck disable=SC2086
  taskset -c 1 "$JAVA" $flags -jar "$jar" run -c "$OUT/weir-$label.yaml" > "$OUT/weir-$label.log" 2>&1 &
  PIDS+=($!); add "$label" "$!"
done
if [ $NGINX = 1 ]; then
  ports nginx
  mkdir -p "$OUT/nginx"
  cat > "$OUT/nginx.conf" <<EOF
# one process (no master), one worker's work: like HAProxy's one thread and Weir's one event loop on CPU 1
load_module $NGINX_STREAM;
daemon off;
master_process off;
worker_processes 1;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections 4096; }
stream {
    ssl_protocols TLSv1.2 TLSv1.3;
    server { listen 127.0.0.1:${PORT[nginx.ec]} ssl; ssl_certificate $OUT/ec.pem; ssl_certificate_key $OUT/ec.key; proxy_pass 127.0.0.1:$HTTP; }
    server { listen 127.0.0.1:${PORT[nginx.rsa]} ssl; ssl_certificate $OUT/rsa.pem; ssl_certificate_key $OUT/rsa.key; proxy_pass 127.0.0.1:$HTTP; }
    server { listen 127.0.0.1:${PORT[nginx.bulk]} ssl; ssl_certificate $OUT/ec.pem; ssl_certificate_key $OUT/ec.key; proxy_pass 127.0.0.1:$SINK; }
    server { listen 127.0.0.1:${PORT[nginx.redis]} ssl; ssl_certificate $OUT/ec.pem; ssl_certificate_key $OUT/ec.key; proxy_pass 127.0.0.1:$REDIS; }
}
EOF
  taskset -c 1 nginx -p "$OUT/nginx" -e "$OUT/nginx/error.log" -c "$OUT/nginx.conf" > "$OUT/nginx.log" 2>&1 &
  PIDS+=($!); add nginx "$!"
fi
for h in haproxy-control haproxy; do
  ports "$h"
  cat > "$OUT/$h.cfg" <<EOF
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen ec
    bind 127.0.0.1:${PORT[$h.ec]} ssl crt $OUT/ec-haproxy.pem
    server b1 127.0.0.1:$HTTP
listen rsa
    bind 127.0.0.1:${PORT[$h.rsa]} ssl crt $OUT/rsa-haproxy.pem
    server b1 127.0.0.1:$HTTP
listen bulk
    bind 127.0.0.1:${PORT[$h.bulk]} ssl crt $OUT/ec-haproxy.pem
    server b1 127.0.0.1:$SINK
listen redis
    bind 127.0.0.1:${PORT[$h.redis]} ssl crt $OUT/ec-haproxy.pem
    server b1 127.0.0.1:$REDIS
EOF
  taskset -c 1 haproxy -db -f "$OUT/$h.cfg" > "$OUT/$h.log" 2>&1 &
  PIDS+=($!); add "$h" "$!"
done
if has bulk; then   # the ceiling of the bulk client: TLS ended by the sink itself, on the proxies' CPU
  taskset -c 1 python3 "$HERE/sink.py" "$DIRECT" "$OUT/direct.lines" --tls "$OUT/ec.pem" "$OUT/ec.key" \
    > "$OUT/direct.log" 2>&1 &
  PIDS+=($!); LABELS=(direct "${LABELS[@]}"); PROCS=("$!" "${PROCS[@]}"); PORT[direct.bulk]=$DIRECT
fi
for l in "${LABELS[@]}"; do for w in ec rsa bulk redis; do [ -z "${PORT[$l.$w]:-}" ] || wait_port "${PORT[$l.$w]}"; done; done

# ---- workloads: each prints "n=COUNT rate=R [extra=...]" ---------------------------------------
# Handshakes one after another for $3 seconds; $2: s_time's options. n counts connections, reused those resumed.
handshakes() {
  local out
  out=$(taskset -c 0 openssl s_time -connect "127.0.0.1:$1" $2 -time "$3" 2>/dev/null)
  echo "$out" | awk -v reused="$(echo "$out" | grep -E '^[r*]+$' | tr -cd r | wc -c)" \
    '/connections in .* real seconds/ {printf "n=%d rate=%.1f reused=%.3f\n", $1, $1 / $4, ($1 ? reused / $1 : 0)}'
}
bulk() {   # one stream for $2 seconds; n = bytes the sink got
  local lines=$OUT/sink.lines before
  [ "$3" != direct ] || lines=$OUT/direct.lines
  before=$(cat "$lines" 2>/dev/null | wc -l)
  taskset -c 0 timeout "$2" openssl s_client -connect "127.0.0.1:$1" -quiet -no_ign_eof \
    -ciphersuites TLS_AES_128_GCM_SHA256 < /dev/zero > /dev/null 2>&1 || true
  for _ in $(seq 100); do [ "$(cat "$lines" 2>/dev/null | wc -l)" -gt "$before" ] && break; sleep 0.05; done
  tail -1 "$lines" | awk '{split($1, b, "="); split($2, s, "="); printf "n=%d rate=%.3f\n", b[2], b[2] * 8 / s[2] / 1e9}'
}
redis_tls() {   # n = operations
  local line
  line=$(taskset -c 0 redis-benchmark -h 127.0.0.1 -p "$1" --tls --insecure -c 50 -n "$2" -t set --csv \
    | grep '^"SET"' | tr -d '"')
  IFS=, read -r _ ops _ _ p50 _ p99 _ <<< "$line"
  echo "n=$2 rate=$ops p50=$p50 p99=$p99"
}
run_one() {   # $1 workload, $2 label, $3 seconds
  local p=${PORT[$2.${1%%-*}]:-}
  [ -n "$p" ] || return 1
  case $1 in
    ec-full|rsa-full) handshakes "$p" "-new -www /" "$3" ;;
    ec-hello) handshakes "$p" -new "$3" ;;
    ec-resumed|rsa-resumed) handshakes "$p" "-reuse -www /" "$3" ;;
    bulk) bulk "$p" "$3" "$2" ;;
    redis) redis_tls "$p" "$([ "$3" = warm ] && echo 20000 || echo "$REDIS_N")" ;;
  esac
}

echo "[tls] load before: $(uptime)" | tee "$OUT/load.txt" >&2
warm=$WARM
for w in ${ONLY//,/ }; do   # warm-up: JIT (the first workload for --warm S), caches, session caches
  for l in "${LABELS[@]}"; do
    if [ "$w" = redis ]; then run_one "$w" "$l" warm > /dev/null || true; else run_one "$w" "$l" "$warm" > /dev/null || true; fi
  done
  warm=3
done

HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
RAW=$OUT/rounds.tsv
printf 'round\tworkload\tproxy\trate\tcpu\textra\tload\n' > "$RAW"
for r in $(seq "$ROUNDS"); do
  for w in ${ONLY//,/ }; do
    for i in "${!LABELS[@]}"; do
      l=${LABELS[$i]}; pid=${PROCS[$i]}
      [ -n "${PORT[$l.${w%%-*}]:-}" ] || continue
      t0=$(ticks "$pid")
      out=$(run_one "$w" "$l" "$SECS")
      t1=$(ticks "$pid")
      n=$(echo "$out" | sed 's/.*n=\([0-9]*\).*/\1/')
      rate=$(echo "$out" | sed 's/.*rate=\([0-9.]*\).*/\1/')
      extra=$(echo "$out" | sed -n 's/.*rate=[0-9.]* *//p' | tr ' ' ',')
      # CPU: µs per handshake or per operation; for bulk, CPU seconds per GB
      cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v n="$n" -v w="$w" \
        'BEGIN {s = (b - a) / hz; printf "%.4g", n ? (w == "bulk" ? s / (n / 1e9) : s * 1e6 / n) : 0}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$w" "$l" "$rate" "$cpu" "$extra" \
        "$(cut -d' ' -f1 /proc/loadavg)" >> "$RAW"
    done
  done
  echo "[tls] round $r/$ROUNDS done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
echo "[tls] load after: $(uptime)" | tee -a "$OUT/load.txt" >&2

python3 - "$RAW" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
med = statistics.median
order = {w: list(dict.fromkeys(r['proxy'] for r in rows if r['workload'] == w)) for w in dict.fromkeys(r['workload'] for r in rows)}
runs, typical = {}, {}
for r in rows:
    runs[(r['workload'], r['proxy'])] = runs.get((r['workload'], r['proxy']), 0) + 1
    typical.setdefault(r['workload'], []).append(float(r['rate']))
rows = [r for r in rows if float(r['rate']) >= med(typical[r['workload']]) / 3]
units = {'bulk': ('Gbit/s', 'CPU s/GB'), 'redis': ('ops/s', 'CPU µs/op')}
print('| workload | proxy | rate (÷ HAProxy) | CPU (÷ HAProxy) | other (÷ HAProxy) | runs |')
print('|---|---|---|---|---|---|')
for w in order:
    mine = [r for r in rows if r['workload'] == w]
    ref = {r['round']: r for r in mine if r['proxy'] == 'haproxy'}
    rate_u, cpu_u = units.get(w, ('handshakes/s', 'CPU µs/handshake'))
    for proxy in order[w]:
        rs = [r for r in mine if r['proxy'] == proxy]
        if not rs:
            print(f'| {w} | {proxy} | every run stalled | | | 0 ({runs[(w, proxy)]} stalled) |')
            continue
        def cell(get):
            m = med(get(r) for r in rs)
            pairs = [get(r) / get(ref[r['round']]) for r in rs if r['round'] in ref and get(ref[r['round']])]
            return f'{m:.4g}' + (f' ({med(pairs):.3f})' if pairs else '')
        extras = {}
        for r in rs:
            for kv in filter(None, r['extra'].split(',')):
                k, v = kv.split('=')
                extras.setdefault(k, []).append(float(v))
        other = ', '.join(f'{k} ' + cell(lambda r, k=k: float(dict(kv.split('=') for kv in r['extra'].split(','))[k]))
                          for k in extras if not (k == 'reused' and w.endswith('full')))
        print(f"| {w} | {proxy} | {cell(lambda r: float(r['rate']))} {rate_u} | "
              f"{cell(lambda r: float(r['cpu']))} {cpu_u if proxy != 'direct' else '(the sink)'} | {other} | "
              f"{len(rs)}{'' if len(rs) == runs[(w, proxy)] else f' ({runs[(w, proxy)] - len(rs)} stalled)'} |")
loads = [float(r['load']) for r in rows]
print(f"\n{len(set(r['round'] for r in rows))} rounds, load {min(loads)}-{max(loads)}; raw: {sys.argv[1]}")
EOF
