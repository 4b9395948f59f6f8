# Backends and proxies of bench/run.sh, for one mode at a time. Sourced, not run.
#
# Every proxy serves four services, each on its own port: echo (two backend-sample echo servers, round robin),
# iperf (iperf3), redis (redis-server) and http (an nginx HTTP server that answers and closes first when asked
# Connection: close). Weir has a fifth listener, echo with a warm pool (the peer weir-warm, ttfb only).
# Peers: direct (the backend itself), weir, nginx (stream), haproxy, and haproxy-control (a second HAProxy,
# the same config on other ports: the resolution of the run).
# Uses: OUT, MODE_DIR, CORES, PIN_PROXY, PIN_LOAD, WEIR_*, TRANSPORT, LOOPS, SPIN, MAXCONN.

NGINX_STREAM=/usr/lib/nginx/modules/ngx_stream_module.so
SERVICES="echo iperf redis http"
declare -A PORT PID

nginx_head() {   # $1 workers, $2 dir: the top of an nginx config; one worker runs as one process (no master)
  local fds=$(( MAXCONN * 2 + 100 ))
  [ "$FD_LIMIT" = unlimited ] || [ "$fds" -le "$FD_LIMIT" ] || fds=$FD_LIMIT
  [ "$1" -gt 1 ] || echo "master_process off;"
  cat <<EOC
daemon off;
worker_processes $1;
worker_rlimit_nofile $fds;
pid $2/nginx.pid;
error_log $2/error.log warn;
events { worker_connections $(( fds - 50 )); }
EOC
}

start_backends() {
  free_port E1 E2 IPERF REDIS HTTP
  "${PIN_LOAD[@]}" java -jar "$SAMPLE_JAR" --name e1 --host 127.0.0.1 --port "$E1" > "$MODE_DIR/echo1.log" 2>&1 &
  PIDS+=($!); BACKEND_PIDS=($!)
  "${PIN_LOAD[@]}" java -jar "$SAMPLE_JAR" --name e2 --host 127.0.0.1 --port "$E2" > "$MODE_DIR/echo2.log" 2>&1 &
  PIDS+=($!); BACKEND_PIDS+=($!)
  "${PIN_LOAD[@]}" iperf3 -s -B 127.0.0.1 -p "$IPERF" > "$MODE_DIR/iperf3.log" 2>&1 &
  PIDS+=($!); BACKEND_PIDS+=($!)
  "${PIN_LOAD[@]}" redis-server --bind 127.0.0.1 --port "$REDIS" --save "" --appendonly no \
    --protected-mode no --maxclients 20000 --dir "$MODE_DIR" > "$MODE_DIR/redis.log" 2>&1 &
  PIDS+=($!); BACKEND_PIDS+=($!)
  mkdir -p "$MODE_DIR/http"
  { nginx_head "$CORES" "$MODE_DIR/http"
    cat <<EOC
http {
    access_log off;
    # wrk sends HTTP/1.1 GETs with Connection: close: nginx answers, then closes first
    server { listen 127.0.0.1:$HTTP backlog=4096; location / { return 200 "ok\n"; } }
}
EOC
  } > "$MODE_DIR/http.conf"
  "${PIN_LOAD[@]}" nginx -p "$MODE_DIR/http" -e "$MODE_DIR/http/error.log" -c "$MODE_DIR/http.conf" \
    > "$MODE_DIR/http.log" 2>&1 &
  PIDS+=($!); BACKEND_PIDS+=($!)
  local p
  for p in $E1 $E2 $IPERF $REDIS $HTTP; do wait_port "$p" 30; done
  PORT[direct.echo]=$E1; PORT[direct.iperf]=$IPERF; PORT[direct.redis]=$REDIS; PORT[direct.http]=$HTTP
  PID[direct]=""
  say "backends: echo :$E1,:$E2 iperf3 :$IPERF redis :$REDIS http :$HTTP; logs in $MODE_DIR"
}

stop_backends() { local p; for p in "${BACKEND_PIDS[@]}"; do stop_pid "$p"; done; BACKEND_PIDS=(); }

log_on() { if [ "$ACCESS_LOG" = 1 ]; then echo "$1"; fi; }   # a config line that only --access-log adds

write_configs() {
  local peer s
  for peer in weir nginx haproxy haproxy-control; do
    for s in $SERVICES; do free_port "PORT[$peer.$s]"; done
  done
  free_port "PORT[weir-warm.echo]"
  PID[weir-warm]=""

  cat > "$MODE_DIR/weir.yaml" <<EOC
# bench config: no admin endpoint; the access log only with --access-log (its line per connection is measured too)
transport: $TRANSPORT
event-loop-threads: $WEIR_LOOPS
${SPIN:+event-loop-spin: $SPIN}
listeners:
  echo:  {bind: 127.0.0.1:${PORT[weir.echo]},  pool: echo,  max-connections: 20000}
  iperf: {bind: 127.0.0.1:${PORT[weir.iperf]}, pool: iperf, max-connections: 100}
  redis: {bind: 127.0.0.1:${PORT[weir.redis]}, pool: redis, max-connections: 2000}
  http:  {bind: 127.0.0.1:${PORT[weir.http]},  pool: http,  max-connections: 20000}
  warm:  {bind: 127.0.0.1:${PORT[weir-warm.echo]}, pool: warm, max-connections: 1000}
pools:
  echo:  {balance: round-robin, backends: [127.0.0.1:$E1, 127.0.0.1:$E2]}
  iperf: {balance: round-robin, backends: [127.0.0.1:$IPERF]}
  redis: {balance: round-robin, backends: [127.0.0.1:$REDIS]}
  http:  {balance: round-robin, backends: [127.0.0.1:$HTTP]}
  warm:  {balance: round-robin, backends: [127.0.0.1:$E1, 127.0.0.1:$E2], warm-pool: {min-idle: 8}}
shutdown: {drain-timeout: 0s}
admin: {bind: "off"}
access-log: {enabled: $([ "$ACCESS_LOG" = 1 ] && echo true || echo false)}
EOC

  for peer in haproxy haproxy-control; do
    cat > "$MODE_DIR/$peer.cfg" <<EOC
# with --access-log a tcplog line per connection to stdout (the log file), as Weir's access log; else none
global
    maxconn $MAXCONN
    nbthread $CORES
$(log_on "    log stdout format raw local0")
defaults
    mode tcp
$(log_on "    log global")
$(log_on "    option tcplog")
    maxconn $MAXCONN
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen echo
    bind 127.0.0.1:${PORT[$peer.echo]}
    balance roundrobin
    server e1 127.0.0.1:$E1
    server e2 127.0.0.1:$E2
listen iperf
    bind 127.0.0.1:${PORT[$peer.iperf]}
    server i1 127.0.0.1:$IPERF
listen redis
    bind 127.0.0.1:${PORT[$peer.redis]}
    server r1 127.0.0.1:$REDIS
listen http
    bind 127.0.0.1:${PORT[$peer.http]}
    server h1 127.0.0.1:$HTTP
EOC
  done

  mkdir -p "$MODE_DIR/nginx"
  { echo "load_module $NGINX_STREAM;"
    nginx_head "$CORES" "$MODE_DIR/nginx"
    cat <<EOC
stream {
$(log_on '    log_format basic "$remote_addr [$time_local] $protocol $status $bytes_sent $bytes_received $session_time";')
    access_log $([ "$ACCESS_LOG" = 1 ] && echo "$MODE_DIR/nginx/access.log basic" || echo off);
    upstream echo { server 127.0.0.1:$E1; server 127.0.0.1:$E2; }
    proxy_timeout 1h;
    server { listen 127.0.0.1:${PORT[nginx.echo]} backlog=4096;  proxy_pass echo; }
    server { listen 127.0.0.1:${PORT[nginx.iperf]};  proxy_pass 127.0.0.1:$IPERF; }
    server { listen 127.0.0.1:${PORT[nginx.redis]} backlog=4096; proxy_pass 127.0.0.1:$REDIS; }
    server { listen 127.0.0.1:${PORT[nginx.http]} backlog=4096;  proxy_pass 127.0.0.1:$HTTP; }
}
EOC
  } > "$MODE_DIR/nginx.conf"
}

start_proxy() {   # $1 = weir | nginx | haproxy | haproxy-control; sets PID[$1]
  case $1 in
    weir)
      # shellcheck disable=SC2086
      "${PIN_PROXY[@]}" "$WEIR_JAVA" $WEIR_OPTS -jar "$WEIR_JAR" run -c "$MODE_DIR/weir.yaml" >> "$MODE_DIR/weir.log" 2>&1 &
      ;;
    nginx)
      "${PIN_PROXY[@]}" nginx -p "$MODE_DIR/nginx" -e "$MODE_DIR/nginx/error.log" -c "$MODE_DIR/nginx.conf" \
        >> "$MODE_DIR/nginx.log" 2>&1 &
      ;;
    haproxy|haproxy-control)
      "${PIN_PROXY[@]}" haproxy -db -f "$MODE_DIR/$1.cfg" >> "$MODE_DIR/$1.log" 2>&1 &
      ;;
  esac
  PID[$1]=$!
  PIDS+=("${PID[$1]}")
  local s
  for s in $SERVICES; do wait_port "${PORT[$1.$s]}" 30; done
  [ "$1" != weir ] || { PID[weir-warm]=${PID[weir]}; wait_port "${PORT[weir-warm.echo]}" 30; }
}

stop_proxy() {
  stop_pid "${PID[$1]:-}"
  PID[$1]=""
  [ "$1" != weir ] || PID[weir-warm]=""
}
