#!/usr/bin/env bash
# Warm-pool benchmark: time to first reply byte of short-lived connections through Weir, with and
# without a warm pool, when the backend is ~2 ms (one round trip) away.
#
#   sudo bench/warmpool/run.sh [-n 2000] [-c 1] [--runs 3] [--warmup 200] [--link auto|netem|tun|none]
#                              [--delay-us 1000] [--transport auto|io_uring|epoll|nio] [--tw-wait 70]
#                              [--max-seconds 1200] [--out DIR]
#
# Needs root (ip netns), iproute2, JDK 17+, and the jars (mvn -q package -DskipTests).
# The backend runs in a network namespace of its own (weirbench-PID), Weir and the client on the host.
# Link to the namespace (--link):
#   netem  a veth pair with `tc qdisc ... netem delay --delay-us` on each side (fails without netem);
#   tun    two TUN devices joined by bench/warmpool/delayline.py, which delays each packet
#          --delay-us one way (for kernels without netem);
#   none   a veth pair with no added delay;
#   auto   (default) netem if the kernel has it; otherwise says so and measures `none`, then `tun`.
# Targets, each measured --runs times (one client JVM per run, target order rotated per run):
#   direct  client -> backend, through the link (the reference: 2 round trips, connect + echo)
#   cold    client -> Weir listener `cold` -> backend (pool without warm pool)
#   warm    client -> Weir listener `warm` -> backend (pool with warm-pool: {min-idle: 8})
# Prints per link a table: median over the runs of p50/p90/p99, and cold - warm; with a delay, also how
# many connections per run took 2 round trips (4 x the one-way delay) or more, as long as a fresh
# backend connect. For `warm` that count is NOT the number of warm-pool misses (on a busy machine it is
# mostly scheduling delay): the misses are counted by Weir itself, see warm_misses under "Runs".
# Before each run, waits (at most --tw-wait s) until fewer than 500 TIME_WAIT sockets to the backend
# remain: the direct client and Weir share the host's ports towards the backend's one address, and
# once about half of the ephemeral range is in TIME_WAIT, every connect() scans thousands of ports
# (measured here: connect on a no-delay veth went from ~35 us to ~2.1 ms). 0 = do not wait.
# Each run also reports the CPU used by processes other than the bench's ("other CPU"), and steal, and
# Weir's own counters from its admin endpoint (/metrics): warm-pool hits, misses, stale drops and
# refills of pool `warm` over the run (warm-up included), and Weir's mean connect time to the backend.
# Bounded: --max-seconds for everything (default 1200), and each client run stops at its own limit.
# Cleans up on any exit: stops what it started by PID, deletes the namespace and links.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
N=2000
CONC=1
RUNS=3
WARMUP=200
LINK=auto
DELAY_US=1000
MAX_SECONDS=1200
TW_WAIT=70
TW_MAX=500
CLIENT_LIMIT=120   # seconds per target per run, warm-up included
OUT=""
TRANSPORT=auto

usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        -n) N=$2; shift 2 ;;
        -c) CONC=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --link) LINK=$2; shift 2 ;;
        --delay-us) DELAY_US=$2; shift 2 ;;
        --max-seconds) MAX_SECONDS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --transport) TRANSPORT=$2; shift 2 ;;
        --tw-wait) TW_WAIT=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$LINK" in auto|netem|tun|none) ;; *) echo "run.sh: --link must be auto, netem, tun or none" >&2; exit 2 ;; esac
[[ $(id -u) -eq 0 ]] || { echo "run.sh: needs root (ip netns, veth, tc)" >&2; exit 2; }
for tool in ip tc java python3 ss; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 2; }
done

WEIR_JAR_SRC=$ROOT/proxy/target/weir.jar
BACKEND_JAR_SRC=$ROOT/backend-sample/target/backend-sample.jar
for j in "$WEIR_JAR_SRC" "$BACKEND_JAR_SRC"; do
    [[ -f $j ]] || { echo "run.sh: $j missing; build with: mvn -q package -DskipTests" >&2; exit 2; }
done

NS=weirbench-$$
VETH_H=wbv$$h   # host end of the veth pair (the ns end, wbv$$n, is moved into $NS)
VETH_N=wbv$$n
TUN_H=wbt$$h
TUN_N=wbt$$n
OUT=${OUT:-$(mktemp -d /tmp/weirbench.XXXXXX)}
mkdir -p "$OUT"
PIDS=()          # everything started, stopped in reverse order by cleanup
WATCHDOG=""

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Stops one process we started: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    log "pid $pid did not stop on SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[i]}"
    done
    PIDS=()
    ip netns del "$NS" 2>/dev/null          # takes the ns ends of the veth/tun with it
    ip link del "$VETH_H" 2>/dev/null       # gone already with its peer; just in case
    if [[ -n $WATCHDOG ]]; then
        kill -TERM "$WATCHDOG" 2>/dev/null
        wait "$WATCHDOG" 2>/dev/null
    fi
    if ip netns list | grep -qw "$NS"; then log "WARNING: namespace $NS still present"; fi
    log "logs in $OUT"
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated (time limit or signal)"; exit 143' TERM

# Whole-run time limit: SIGTERM to this script, whose trap cleans up.
(
    trap 'kill "$sp" 2>/dev/null; exit 0' TERM
    sleep "$MAX_SECONDS" & sp=$!
    wait "$sp"
    echo "run.sh: --max-seconds $MAX_SECONDS reached" >&2
    kill -TERM $$
) &
WATCHDOG=$!

# Waits (bounded) until a file has a line matching a regex; fails if the process died first.
wait_for_line() {
    local file=$1 regex=$2 pid=$3 secs=$4 start=$SECONDS
    while ! grep -Eq "$regex" "$file" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "process $pid exited before printing /$regex/; its output:"; cat "$file" >&2; return 1
        fi
        if ((SECONDS - start > secs)); then
            log "no /$regex/ in $file after ${secs}s"; cat "$file" >&2; return 1
        fi
        sleep 0.1
    done
}

# Picks a free /30 in 10.200-254.x.x: no address or route of this host covers it.
pick_subnet() {
    local a b c try
    for ((try = 0; try < 50; try++)); do
        a=$((200 + RANDOM % 55)); b=$((RANDOM % 256)); c=$(((RANDOM % 64) * 4))
        if ip -4 -o addr show | grep -q " 10\.$a\.$b\."; then continue; fi
        if ip -4 route show to match "10.$a.$b.$c" | grep -vq '^default'; then continue; fi
        echo "10.$a.$b.$c"; return 0
    done
    echo "run.sh: no free 10.x /30 found" >&2; return 1
}

# Copies the jars, so that a rebuild during the run does not change them.
cp "$WEIR_JAR_SRC" "$OUT/weir.jar"
cp "$BACKEND_JAR_SRC" "$OUT/backend-sample.jar"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "kernel: $(uname -r)"
    echo "java: $(java -version 2>&1 | head -1)"
    echo "weir: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
         "(uncommitted changes: $(git -C "$ROOT" status --short -- proxy backend-sample 2>/dev/null | wc -l) files)"
    echo "weir.jar: built $(date -u -r "$WEIR_JAR_SRC" +%Y-%m-%dT%H:%M:%SZ), sha256 $(sha256sum "$OUT/weir.jar" | cut -c1-16)"
    echo "args: -n $N -c $CONC --runs $RUNS --warmup $WARMUP --link $LINK --delay-us $DELAY_US --transport $TRANSPORT --tw-wait $TW_WAIT"
} | tee "$OUT/machine.txt" >&2

ip netns add "$NS"
ip -n "$NS" link set lo up

NETEM_ERR=""
netem_works() {   # tries netem on the namespace's loopback
    NETEM_ERR=$(ip netns exec "$NS" tc qdisc add dev lo root netem delay 1ms 2>&1) || return 1
    ip netns exec "$NS" tc qdisc del dev lo root 2>/dev/null || true
}

HOST_ADDR=""
NS_ADDR=""
LINK_DESC=""

link_up() {   # $1: netem | none | tun
    local kind=$1 sub
    sub=$(pick_subnet)
    HOST_ADDR=${sub%.*}.$((${sub##*.} + 1))
    NS_ADDR=${sub%.*}.$((${sub##*.} + 2))
    case "$kind" in
        netem|none)
            ip link add "$VETH_H" type veth peer name "$VETH_N"
            ip link set "$VETH_N" netns "$NS"
            ip addr add "$HOST_ADDR/30" dev "$VETH_H"
            ip -n "$NS" addr add "$NS_ADDR/30" dev "$VETH_N"
            ip link set "$VETH_H" up
            ip -n "$NS" link set "$VETH_N" up
            if [[ $kind == netem ]]; then
                tc qdisc add dev "$VETH_H" root netem delay "${DELAY_US}us"
                ip netns exec "$NS" tc qdisc add dev "$VETH_N" root netem delay "${DELAY_US}us"
                LINK_DESC="veth + netem delay ${DELAY_US}us on each side"
            else
                LINK_DESC="veth, no added delay"
            fi
            ;;
        tun)
            # Real-time priority when allowed, so that the other processes on the machine delay it less;
            # it blocks in select() between packets, so it cannot take a CPU for itself.
            local rt=()
            if command -v chrt >/dev/null && chrt -f 10 true 2>/dev/null; then rt=(chrt -f 10); fi
            "${rt[@]}" python3 "$HERE/delayline.py" "$TUN_H" "$TUN_N" "$DELAY_US" "$MAX_SECONDS" >"$OUT/delayline.log" 2>&1 &
            DELAYLINE_PID=$!
            PIDS+=("$DELAYLINE_PID")
            wait_for_line "$OUT/delayline.log" '^ready' "$DELAYLINE_PID" 10
            ip link set "$TUN_N" netns "$NS"
            ip addr add "$HOST_ADDR/30" dev "$TUN_H"
            ip -n "$NS" addr add "$NS_ADDR/30" dev "$TUN_N"
            ip link set "$TUN_H" up
            ip -n "$NS" link set "$TUN_N" up
            LINK_DESC="TUN pair + user-space delay line, ${DELAY_US} µs each way (delayline.py${rt:+, SCHED_FIFO})"
            ;;
    esac
    log "link $kind: host $HOST_ADDR <-> ns $NS_ADDR ($LINK_DESC)"
}

link_down() {   # $1: kind
    case "$1" in
        netem|none) ip link del "$VETH_H" 2>/dev/null || true ;;
        tun)
            stop_pid "$DELAYLINE_PID"; forget "$DELAYLINE_PID"
            grep '^delayline' "$OUT/delayline.log" >&2 || true
            cp "$OUT/delayline.log" "$OUT/delayline-$PHASE.log"
            ;;
    esac
}

# Removes the last PID from PIDS if it is $1 (processes are stopped in LIFO order per phase).
forget() { if [[ ${#PIDS[@]} -gt 0 && ${PIDS[-1]} == "$1" ]]; then unset 'PIDS[${#PIDS[@]}-1]'; fi; }

median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) {print "-"} else if (NR%2) {print v[(NR+1)/2]} else {printf "%d\n", (v[NR/2]+v[NR/2+1])/2}}'; }

time_wait_to_backend() {
    ss -Htan state time-wait dst "$NS_ADDR:9000" 2>/dev/null | wc -l
}

# CPU accounting, to tell a quiet run from one that shared the machine with someone else's work.
cpu_snapshot() { awk '/^cpu /{print $2 + $3 + $4, $9}' /proc/stat; }   # user+nice+system, steal (ticks)
proc_ticks() {   # utime+stime of the given live PIDs (ticks)
    local sum=0 p t
    for p in "$@"; do
        t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
        sum=$((sum + ${t:-0}))
    done
    echo "$sum"
}
children_ms() {  # $1: output of bash `times` (run in the main shell, not in $(...)): reaped children's CPU, ms
    tail -1 "$1" | awk '{split($1, a, /[ms]/); split($2, b, /[ms]/); printf "%d\n", (a[1] * 60 + a[2] + b[1] * 60 + b[2]) * 1000}'
}

# Weir's Prometheus metrics (admin endpoint): warm-pool counters of pool `warm`, connect times.
ADMIN=""
scrape() {   # $1: file to write; empty when there is no admin endpoint or no metrics
    if [[ -n $ADMIN ]]; then curl -s --max-time 3 "http://$ADMIN/metrics" >"$1" 2>/dev/null || : >"$1"; else : >"$1"; fi
}
metric() {   # $1: scrape file, $2: metric name, $3: pool; sum over its series, or NA
    awk -v m="$2{" -v p="pool=\"$3\"" 'index($0, m) == 1 && index($0, p) {s += $NF; f = 1}
        END {if (f) printf "%.6f\n", s; else print "NA"}' "$1"
}
# Metric deltas between two scrapes, as key=value words.
metric_deltas() {   # $1: before, $2: after
    local out="" name key a b
    for name in hits misses stale refills; do
        a=$(metric "$1" "weir_warmpool_${name}_total" warm); b=$(metric "$2" "weir_warmpool_${name}_total" warm)
        out+=" warm_$name=$(awk -v a="$a" -v b="$b" 'BEGIN {if (a == "NA" || b == "NA") print "NA"; else printf "%d", b - a + 0.5}')"
    done
    out+=" warm_idle_after=$(metric "$2" weir_warmpool_idle warm | awk '{print ($1 == "NA") ? "NA" : int($1 + 0.5)}')"
    for key in cold warm; do   # connects made for clients (not the warm pool's refills), and their mean time as Weir saw it
        a=$(metric "$1" weir_connect_time_seconds_count "$key"); b=$(metric "$2" weir_connect_time_seconds_count "$key")
        local sa sb
        sa=$(metric "$1" weir_connect_time_seconds_sum "$key"); sb=$(metric "$2" weir_connect_time_seconds_sum "$key")
        out+=" ${key}_connects=$(awk -v a="$a" -v b="$b" 'BEGIN {if (a == "NA" || b == "NA") print "NA"; else printf "%d", b - a + 0.5}')"
        [[ $key == warm ]] || out+=" ${key}_connect_mean_us=$(awk -v a="$a" -v b="$b" -v sa="$sa" -v sb="$sb" \
            'BEGIN {if (a == "NA" || b == "NA" || b - a < 1) print "NA"; else printf "%d", (sb - sa) / (b - a) * 1e6}')"
    done
    echo "$out"
}

# Backend-side established sockets from the host to the backend (Weir's idle ones when no client is on).
established_to_backend() {
    ss -Htn state established dst "$NS_ADDR:9000" 2>/dev/null | wc -l
}

phase() {   # $1: link kind
    PHASE=$1
    local dir=$OUT/$PHASE
    mkdir -p "$dir"
    link_up "$PHASE"

    ip netns exec "$NS" java -jar "$OUT/backend-sample.jar" --host "$NS_ADDR" --port 9000 --name b \
        >"$dir/backend.log" 2>&1 &
    BACKEND_PID=$!
    PIDS+=("$BACKEND_PID")
    wait_for_line "$dir/backend.log" 'listening=' "$BACKEND_PID" 30

    cat >"$dir/weir.yaml" <<EOF
listeners:
  cold: {bind: 127.0.0.1:0, pool: cold}
  warm: {bind: 127.0.0.1:0, pool: warm}
pools:
  cold:
    backends: [$NS_ADDR:9000]
  warm:
    backends: [$NS_ADDR:9000]
    warm-pool: {min-idle: 8}
transport: $TRANSPORT
shutdown: {drain-timeout: 2s}
admin: {bind: 127.0.0.1:0}
EOF
    java -Xlog:gc:file="$dir/weir-gc.log" -jar "$OUT/weir.jar" run -c "$dir/weir.yaml" >"$dir/weir.log" 2>&1 &
    WEIR_PID=$!
    PIDS+=("$WEIR_PID")
    wait_for_line "$dir/weir.log" 'weir ready' "$WEIR_PID" 30
    local cold_port warm_port
    cold_port=$(sed -n 's/.*listener bound listener=cold address=[^ ]*:\([0-9]*\) .*/\1/p' "$dir/weir.log" | head -1)
    warm_port=$(sed -n 's/.*listener bound listener=warm address=[^ ]*:\([0-9]*\) .*/\1/p' "$dir/weir.log" | head -1)
    [[ -n $cold_port && -n $warm_port ]] || { log "listener ports not found in $dir/weir.log"; return 1; }
    ADMIN=$(sed -n 's/.*admin endpoint bound address=\([^ ]*\).*/\1/p' "$dir/weir.log" | head -1)
    log "weir pid $WEIR_PID: cold=127.0.0.1:$cold_port warm=127.0.0.1:$warm_port;" \
        "$(grep -o 'transport chosen transport=[a-z_]*' "$dir/weir.log" | head -1)"

    # The warm pool fills in the background: wait (bounded) for its 8 sockets.
    local start=$SECONDS idle=0
    while idle=$(established_to_backend); ((idle < 8 && SECONDS - start < 10)); do sleep 0.2; done
    log "idle sockets to the backend before the runs: $idle (expected 8)"
    echo "idle_before=$idle" >"$dir/pool.txt"

    local targets=("direct=$NS_ADDR:9000" "cold=127.0.0.1:$cold_port" "warm=127.0.0.1:$warm_port")
    local r k order rc split=()
    [[ $PHASE == none ]] || split=(--split-us $((4 * DELAY_US)))
    for ((r = 1; r <= RUNS; r++)); do
        order=()
        for ((k = 0; k < 3; k++)); do order+=("${targets[(k + r - 1) % 3]}"); done
        if ((TW_WAIT > 0)); then
            local tstart=$SECONDS tw
            while tw=$(time_wait_to_backend); ((tw >= TW_MAX && SECONDS - tstart < TW_WAIT)); do sleep 1; done
            ((SECONDS - tstart < 2)) || log "waited $((SECONDS - tstart))s for TIME_WAIT sockets to the backend to expire"
        fi
        local tw_before cpu0 steal0 ours0 kids0 t0 cpu1 steal1 ours1 kids1 t1
        tw_before=$(time_wait_to_backend)
        log "run $r/$RUNS: ${order[*]%%=*} (TIME_WAIT to the backend: $tw_before)"
        read -r cpu0 steal0 < <(cpu_snapshot)
        ours0=$(proc_ticks "${PIDS[@]}")
        times >"$OUT/.times0"
        kids0=$(children_ms "$OUT/.times0")
        scrape "$dir/metrics-$r-before.txt"
        t0=$(date +%s%N)
        java "$HERE/Ttfb.java" -n "$N" -c "$CONC" --warmup "$WARMUP" --time-limit "$CLIENT_LIMIT" \
            --run "$r" "${split[@]}" --dump "$dir/samples-$r" "${order[@]}" >"$dir/client-$r.log" 2>&1 &
        local cpid=$!
        PIDS+=("$cpid")
        rc=0; wait "$cpid" || rc=$?
        forget "$cpid"
        t1=$(date +%s%N)
        scrape "$dir/metrics-$r-after.txt"
        read -r cpu1 steal1 < <(cpu_snapshot)
        ours1=$(proc_ticks "${PIDS[@]}")
        times >"$OUT/.times1"
        kids1=$(children_ms "$OUT/.times1")
        awk -v r="$r" -v wall_ns=$((t1 - t0)) -v busy=$((cpu1 - cpu0)) -v steal=$((steal1 - steal0)) \
            -v ours=$((ours1 - ours0)) -v kids_ms=$((kids1 - kids0)) -v hz="$(getconf CLK_TCK)" -v ncpu="$(nproc)" \
            -v twb="$tw_before" -v twa="$(time_wait_to_backend)" \
            -v m="$(metric_deltas "$dir/metrics-$r-before.txt" "$dir/metrics-$r-after.txt")" 'BEGIN {
                cap = wall_ns / 1e9 * hz * ncpu
                other = busy - ours - kids_ms * hz / 1000
                if (other < 0) other = 0
                printf "RUNINFO run=%d wall_s=%.1f bench_cpu_pct=%.0f other_cpu_pct=%.0f steal_pct=%.1f time_wait_before=%d time_wait_after=%d%s\n",
                    r, wall_ns / 1e9, (ours + kids_ms * hz / 1000) * 100 / cap, other * 100 / cap, steal * 100 / cap, twb, twa, m
            }' >>"$dir/runs.txt"
        tail -1 "$dir/runs.txt" >&2
        cat "$dir/client-$r.log" >&2
        ((rc == 0)) || log "client run $r exited $rc (errors or truncated; see above)"
        grep '^RESULT' "$dir/client-$r.log" >>"$dir/results.txt" || true
    done

    sleep 1
    idle=$(established_to_backend)
    log "idle sockets to the backend after the runs: $idle (expected 8)"
    echo "idle_after=$idle" >>"$dir/pool.txt"

    stop_pid "$WEIR_PID"; forget "$WEIR_PID"
    stop_pid "$BACKEND_PID"; forget "$BACKEND_PID"
    link_down "$PHASE"

    # Weir's own complaints, and how its connections ended (access log).
    {
        echo "weir WARN/ERROR lines: $(grep -Ec ' (WARN|ERROR) ' "$dir/weir.log" || true)"
        { grep -E ' (WARN|ERROR) ' "$dir/weir.log" || true; } | head -5
        echo "close reasons (access log):"
        { grep -o 'listener=[a-z]* .*reason=[A-Z_]*' "$dir/weir.log" || true; } \
            | sed 's/listener=\([a-z]*\) .*reason=\([A-Z_]*\)/\1 \2/' | sort | uniq -c | sed 's/^/  /'
        echo "exceptions in weir log: $(grep -c 'Exception' "$dir/weir.log" || true)"
    } | tee "$dir/weir-summary.txt" >&2

    table "$dir/results.txt" | tee "$dir/table.txt"
}

table() {   # $1: results file
    local f=$1 t m
    echo
    echo "### link: $LINK_DESC — $N connections x $RUNS runs per target, concurrency $CONC, warm-up $WARMUP, weir transport $(grep -o 'transport chosen transport=[a-z_]*' "$OUT/$PHASE/weir.log" | head -1 | sed 's/.*=//')"
    echo
    local slowh="≥ 2 RTT per run"
    [[ $PHASE == none ]] && slowh="-"
    echo "| target | p50 µs (median of runs) | p90 µs | p99 µs | max µs (worst run) | p50 per run | p99 per run | $slowh | errors | connect p50 µs |"
    echo "|---|---:|---:|---:|---:|---|---|---|---:|---:|"
    declare -A P50 P99
    for t in direct cold warm; do
        local rows p50s p90s p99s
        rows=$(grep " target=$t " "$f" || true)
        field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
        P50[$t]=$(field p50_us <<<"$rows" | median)
        P99[$t]=$(field p99_us <<<"$rows" | median)
        m=$(field max_us <<<"$rows" | sort -n | tail -1)
        p50s=$(field p50_us <<<"$rows" | paste -sd/)
        p99s=$(field p99_us <<<"$rows" | paste -sd/)
        local slow errs
        slow=$(field slow <<<"$rows" | paste -sd/)
        errs=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$rows" | awk '{s+=$1} END {print s+0}')
        echo "| $t | ${P50[$t]} | $(field p90_us <<<"$rows" | median) | ${P99[$t]} | ${m:--} | $p50s | $p99s | $slow | $errs | $(field connect_p50_us <<<"$rows" | median) |"
    done
    if [[ ${P50[cold]} =~ ^[0-9]+$ && ${P50[warm]} =~ ^[0-9]+$ ]]; then
        echo "| **cold − warm** | **$((P50[cold] - P50[warm]))** | | **$((P99[cold] - P99[warm]))** | | | | | | |"
    fi
    echo
    echo "Runs (CPU as % of the $(nproc) CPUs over the run; \"other\" = processes not started by this bench):"
    echo
    sed 's/^RUNINFO /- /' "$OUT/$PHASE/runs.txt" 2>/dev/null || true
    echo
}

case "$LINK" in
    netem)
        netem_works || { log "netem is not available here: $NETEM_ERR"; exit 1; }
        phase netem ;;
    none) phase none ;;
    tun) phase tun ;;
    auto)
        if netem_works; then
            phase netem
        else
            log "netem is not available here: ${NETEM_ERR:-?} — measuring the veth without delay, then the TUN delay line"
            echo "netem: unavailable ($NETEM_ERR)" >>"$OUT/machine.txt"
            phase none
            phase tun
        fi ;;
esac
log "done"
