# The timed workloads of bench/run.sh: each takes a peer, runs once against it and records its figures (record,
# bench/lib/common.sh). CPU is the proxy's utime+stime over the run, its children included (nginx's workers).
# Sourced, not run.

loadgen() { "${PIN_LOAD[@]}" java -XX:+UseSerialGC -cp "$CLS" LoadGen "$@"; }
port_of() { echo "${PORT[$1.$2]}"; }

cpu_start() { [ -z "$1" ] || { T0=$(ticks "$1"); U0=$(uticks "$1"); }; }
cpu_stop() { [ -z "$1" ] || { T1=$(ticks "$1"); U1=$(uticks "$1"); }; }
cpu_user_pct() { calc "($U1 - $U0) / ($T1 - $T0 + 0.000001) * 100"; }

bulk() {   # $1 peer: one iperf3 stream for BULK_SECS
  local p=${PID[$1]} json bytes bps
  cpu_start "$p"
  json=$("${PIN_LOAD[@]}" iperf3 -c 127.0.0.1 -p "$(port_of "$1" iperf)" -t "$BULK_SECS" -J)
  cpu_stop "$p"
  read -r bytes bps < <(echo "$json" | awk '/"sum_received"/ {s=1} s && /"bytes"/ {gsub(/[^0-9.e+]/,"",$2); b=$2}
      s && /"bits_per_second"/ {gsub(/[^0-9.e+]/,"",$2); print b, $2; exit}')
  record "$1" "bulk 1 stream, Gbit/s" "$(calc "$bps / 1e9")"
  if [ -n "$p" ]; then
    record "$1" "bulk: proxy CPU s per GB" "$(calc "($T1 - $T0) / $HZ / ($bytes / 1e9)")"
    record "$1" "bulk: proxy CPU in user space %" "$(cpu_user_pct)"
  fi
}

# redis-benchmark SET with $2 connections, $3 operations. Its summary has ops/s, p50, p99 and max; p99.9 is the
# first line of its percentile distribution at or above 99.9%.
redis_run() {   # $1 peer, $2 connections, $3 operations
  local p=${PID[$1]} out sum p999 ops p50 p99 max
  cpu_start "$p"
  out=$("${PIN_LOAD[@]}" redis-benchmark -h 127.0.0.1 -p "$(port_of "$1" redis)" -c "$2" -n "$3" -t set \
    --precision 3 2>&1 | tr '\r' '\n')
  cpu_stop "$p"
  ops=$(echo "$out" | sed -n 's/.*throughput summary: \([0-9.]*\) requests per second.*/\1/p')
  sum=$(echo "$out" | grep -A2 'latency summary' | tail -1)
  read -r _ _ p50 _ p99 max <<< "$sum"
  p999=$(echo "$out" | awk '/Latency by percentile/ {s=1; next} s && /^[0-9.]+% <=/ {if ($1 + 0 >= 99.9) {print $3; exit}}')
  if [ -z "$ops" ] || [ -z "$max" ]; then say "redis-benchmark gave no summary against $1:"; echo "$out" | tail -5 >&2; return 0; fi
  local c="redis SET c$2"
  record "$1" "$c, ops/s" "$ops"
  record "$1" "$c, p50 ms" "$p50"
  record "$1" "$c, p99 ms" "$p99"
  record "$1" "$c, p99.9 ms" "$p999"
  record "$1" "$c, max ms" "$max"
  if [ -n "$p" ]; then
    record "$1" "$c: proxy CPU µs per op" "$(calc "($T1 - $T0) / $HZ * 1e6 / $3")"
    record "$1" "$c: proxy CPU in user space %" "$(cpu_user_pct)"
  fi
}
redis() { redis_run "$1" "$REDIS_CONNS" "$REDIS_N"; }
redis1k() { redis_run "$1" 1000 "$REDIS1K_N"; }

short() {   # $1 peer: bench/LoadGen.java short connections to the echo servers, the client closes first
  local p=${PID[$1]} out conns rate secs
  cpu_start "$p"
  out=$(loadgen short "127.0.0.1:$(port_of "$1" echo)$([ "$1" = direct ] && echo ",127.0.0.1:$E2")" \
    "$SHORT_SECS" "$SHORT_CONC" 100)
  cpu_stop "$p"
  conns=$(echo "$out" | sed 's/.*conns=\([0-9]*\).*/\1/')
  secs=$(echo "$out" | sed 's/.*secs=\([0-9.]*\).*/\1/')
  rate=$(echo "$out" | sed 's/.*rate=\([0-9.]*\).*/\1/')
  record "$1" "short conns c$SHORT_CONC, conn/s" "$rate"
  record "$1" "short: errors" "$(echo "$out" | sed 's/.*errors=\([0-9]*\).*/\1/')"
  if [ -n "$p" ]; then
    record "$1" "short: proxy CPU µs per conn" "$(calc "($T1 - $T0) / $HZ * 1e6 / $conns")"
    record "$1" "short: proxy CPU busy %" "$(calc "($T1 - $T0) / $HZ / $secs * 100")"
    record "$1" "short: proxy CPU in user space %" "$(cpu_user_pct)"
  fi
}

ms_of() {   # wrk's durations (500.00us, 1.23ms, 2.00s, 1.00m) in ms
  awk '{v = $1; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000;
        else if (v ~ /m$/) v = v * 60000; printf "%.6g", v}'
}

# HTTP/1.1, Connection: close: wrk sends one GET per connection, the nginx backend answers and closes first, the
# proxy passes the FIN on, wrk closes and connects again.
wrk_run() {   # $1 port, $2 seconds, $3 connections: wrk's output
  "${PIN_LOAD[@]}" wrk -t "$WRK_THREADS" -c "$3" -d "${2}s" --latency -H 'Connection: close' "http://127.0.0.1:$1/"
}
http() {   # $1 peer
  local p=${PID[$1]} out reqs errs secs
  cpu_start "$p"
  out=$(wrk_run "$(port_of "$1" http)" "$HTTP_SECS" "$HTTP_CONC")
  cpu_stop "$p"
  reqs=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in \([0-9.]*\)\([a-z]*\),.*/\1/p')
  secs=$(echo "$out" | sed -n 's/^ *[0-9]* requests in \([0-9.]*[a-z]*\),.*/\1/p' | ms_of | awk '{print $1 / 1000}')
  errs=$(echo "$out" | awk '/Socket errors/ {gsub(/,/, ""); s = $4 + $6 + $8 + $10} /Non-2xx/ {s += $NF} END {print s + 0}')
  if [ -z "$reqs" ] || [ "$reqs" = 0 ]; then say "wrk gave no requests against $1:"; echo "$out" >&2; return 0; fi
  record "$1" "http close c$HTTP_CONC, conn/s" "$(calc "$reqs / $secs")"
  record "$1" "http close: p50 ms" "$(echo "$out" | awk '$1 == "50%" {print $2}' | ms_of)"
  record "$1" "http close: p99 ms" "$(echo "$out" | awk '$1 == "99%" {print $2}' | ms_of)"
  record "$1" "http close: errors" "$errs"
  if [ -n "$p" ]; then
    record "$1" "http close: proxy CPU µs per conn" "$(calc "($T1 - $T0) / $HZ * 1e6 / $reqs")"
    record "$1" "http close: proxy CPU in user space %" "$(cpu_user_pct)"
  fi
}

# Connect + first reply byte: bench/warmpool/Ttfb.java, one connection at a time (connect, 100 bytes, the first
# byte of the echo, close), TTFB_N of them after TTFB_WARMUP uncounted. weir-warm is Weir's listener whose pool
# keeps 8 backend connections ready (warm-pool: {min-idle: 8}).
ttfb() {   # $1 peer
  local out
  out=$("${PIN_LOAD[@]}" java -XX:+UseSerialGC -cp "$CLS" Ttfb -n "$TTFB_N" -c 1 --warmup "$TTFB_WARMUP" \
    --time-limit 120 "$1=127.0.0.1:$(port_of "$1" echo)" 2>&1 | grep '^RESULT' || true)
  if [ -z "$out" ]; then say "ttfb gave no result against $1"; return 0; fi
  field() { echo "$out" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
  record "$1" "connect+first byte p50 µs" "$(field p50_us)"
  record "$1" "connect+first byte p99 µs" "$(field p99_us)"
  record "$1" "connect+first byte errors" "$(field errors)"
}

warmup() {   # $1 peer: JIT and caches, not recorded
  loadgen short "127.0.0.1:$(port_of "$1" echo)" "$WARM_SECS" "$SHORT_CONC" 100 > /dev/null
  "${PIN_LOAD[@]}" iperf3 -c 127.0.0.1 -p "$(port_of "$1" iperf)" -t 2 > /dev/null
  "${PIN_LOAD[@]}" redis-benchmark -h 127.0.0.1 -p "$(port_of "$1" redis)" -c "$REDIS_CONNS" -n 50000 -t set -q > /dev/null
  wrk_run "$(port_of "$1" http)" 2 "$HTTP_CONC" > /dev/null
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

idle() {   # $1 peer (a fresh proxy each time): IDLE_COUNT idle proxied connections, RSS growth per connection
  local p rss0 rss1 heap0="" heap1 used0 used1 gcs0 ready lg opened
  start_proxy "$1"
  p=${PID[$1]}
  sleep 1
  if [ "$1" = weir ] && [ -n "$JCMD" ]; then
    heap0=$(heap_used_kib "$p"); sleep 1
    used0=$(heap_now_kib "$p"); gcs0=$(gc_count "$p")
  fi
  rss0=$(rss_kib "$p")
  ready=$MODE_DIR/idle.ready
  rm -f "$ready"
  # not through the loadgen function: $! must be the java process itself (taskset execs it)
  "${PIN_LOAD[@]}" java -XX:+UseSerialGC -cp "$CLS" LoadGen idle "127.0.0.1:$(port_of "$1" echo)" "$IDLE_COUNT" \
    "$ready" > "$MODE_DIR/idle.log" 2>&1 &
  lg=$!
  PIDS+=("$lg")
  for _ in $(seq 1200); do [ -s "$ready" ] && break; kill -0 $lg 2>/dev/null || break; sleep 0.1; done
  if [ ! -s "$ready" ]; then
    say "idle: load generator failed, see $MODE_DIR/idle.log"
    stop_pid "$lg"
    stop_proxy "$1"
    return
  fi
  say "idle: $(cat "$ready")"
  opened=$(sed 's/open=\([0-9]*\).*/\1/' "$ready")
  sleep 2
  rss1=$(rss_kib "$p")
  record "$1" "idle $IDLE_COUNT conns: RSS growth KiB/conn" "$(calc "($rss1 - $rss0) / $opened")"
  record "$1" "idle: RSS before the connections MiB" "$(calc "$rss0 / 1024")"
  if [ -n "$heap0" ]; then
    # Allocated while the connections opened (live and garbage): only when no GC ran in between.
    used1=$(heap_now_kib "$p")
    if [ "$(gc_count "$p")" = "$gcs0" ]; then
      record "$1" "idle: heap allocated KiB/conn" "$(calc "($used1 - $used0) / $opened")"
    fi
    heap1=$(heap_used_kib "$p")
    record "$1" "idle: live heap growth KiB/conn" "$(calc "($heap1 - $heap0) / $opened")"
  fi
  stop_pid "$lg"
  sleep 1
  stop_proxy "$1"
}

startup_cmd() {   # $1 peer: the command that starts it, as start_proxy runs it
  case $1 in
    weir) echo "${PIN_PROXY[*]} $WEIR_JAVA $WEIR_OPTS -jar $WEIR_JAR run -c $MODE_DIR/weir.yaml" ;;
    nginx) echo "${PIN_PROXY[*]} nginx -p $MODE_DIR/nginx -e $MODE_DIR/nginx/error.log -c $MODE_DIR/nginx.conf" ;;
    haproxy|haproxy-control) echo "${PIN_PROXY[*]} haproxy -db -f $MODE_DIR/$1.cfg" ;;
  esac
}
startup() {   # $1 peer: from process start to the first accepted connection, STARTUP_RUNS times (ROUND = run)
  local out ms r=0
  # shellcheck disable=SC2046
  out=$(loadgen startup "127.0.0.1:$(port_of "$1" echo)" "$STARTUP_RUNS" 30 -- $(startup_cmd "$1"))
  for ms in $(echo "$out" | sed -n 's/^run [0-9]*: \([0-9]*\) ms/\1/p'); do
    r=$((r + 1)); ROUND=$r record "$1" "start to accepting, ms" "$ms"
  done
}
