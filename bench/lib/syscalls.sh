# The syscalls workload of bench/run.sh: system calls per proxied connection, counted by strace (every thread
# of the proxy; for Weir also split into event-loop threads and the JVM's other threads) over the connections of
# one short run, divided by their number. Counts, not timings: strace slows the proxy down, and the figures
# hold on a busy machine, except the waits (epoll_wait and the like), which depend on how busy the loop is.
# Two shapes: client closes first (bench/LoadGen.java short to the echo servers, 100 bytes each way) and server
# closes first (wrk, HTTP/1.1 Connection: close, the nginx backend closes after its answer). The first 5,000 lines
# of each trace are kept (MODE/strace-PEER-SHAPE-head.txt), with the thread names. Sourced, not run.

syscalls_one() {   # $1 peer, $2 shape (client-first | server-first): appends to $MODE_DIR/syscalls.tsv
  local pid=${PID[$1]} trace=$MODE_DIR/strace-$1-$2.txt args=() p st out conns
  for p in $(tree_pids "$pid"); do args+=(-p "$p"); done
  strace -f -qq -e signal=none -o "$trace" "${args[@]}" 2> "$MODE_DIR/strace-$1-$2.log" &
  st=$!
  PIDS+=("$st")
  for _ in $(seq 100); do
    [ "$(awk '/^TracerPid/ {print $2}' "/proc/$pid/status")" = "$st" ] && break
    sleep 0.1
  done
  sleep 1   # the other threads and processes
  for p in $(tree_pids "$pid"); do
    for t in /proc/"$p"/task/*; do echo "${t##*/} $(cat "$t/comm")"; done
  done > "$trace.threads"
  if [ "$2" = client-first ]; then
    out=$(loadgen short "127.0.0.1:$(port_of "$1" echo)" "$SYSCALL_SECS" "$SYSCALL_CONC" 100)
    conns=$(echo "$out" | sed 's/.*conns=\([0-9]*\).*/\1/')
  else
    out=$(wrk_run "$(port_of "$1" http)" "$SYSCALL_SECS" "$SYSCALL_CONC")
    conns=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
  fi
  sleep 0.5   # the last closes
  kill -INT "$st" 2>/dev/null || true
  wait "$st" 2>/dev/null || true
  say "syscalls $1 $2: $conns connections traced ($(wc -l < "$trace") lines in $trace)"
  python3 "$HERE/lib/syscalls.py" count "$trace" "$trace.threads" "$1" "$2" "${conns:-0}" >> "$MODE_DIR/syscalls.tsv"
  # the whole trace is some 30 MB; its first lines show the sequence of calls of the first connections
  head -n 5000 "$trace" > "${trace%.txt}-head.txt"
  rm -f "$trace"
}

syscalls() {   # every proxy peer but the control, both shapes; prints the table into $MODE_DIR/syscalls.md
  command -v strace > /dev/null || { say "syscalls left out: strace is not installed (apt-get install -y strace)"; return 0; }
  : > "$MODE_DIR/syscalls.tsv"
  local peer shape
  for shape in client-first server-first; do
    for peer in ${PEERS//,/ }; do
      case $peer in direct|haproxy-control) continue ;; esac
      syscalls_one "$peer" "$shape"
    done
  done
  python3 "$HERE/lib/syscalls.py" table "$MODE_DIR/syscalls.tsv" > "$MODE_DIR/syscalls.md"
}
