#!/usr/bin/env bash
# weir validate on config files of awkward shapes, 3 MiB each (the size limit), as a user runs it: the best of
# --runs runs by wall time, with that run's CPU time (user + system), max RSS and exit status. Shapes: one long
# comment line, a long quoted value, a long plain value, many short keys (pools), the whole config on one line
# (a long flow list), deep nesting (refused at SnakeYAML's depth 50), many short comment lines, many listeners,
# many backends one per line (short and long form), many SNI routes, a long allow list; and a 50 MiB file under
# -Xmx256m (refused by its size). Validate resolves host names as a user runs it (the shapes name IP addresses).
# Compare builds with several --jar: the runs of one shape alternate between them. A run is stopped at --cap
# seconds (shown as >CAP), and a shape that reached it is not run again with that jar.
#
#   bench/config-size.sh [--jar proxy/target/weir.jar]... [--runs 3] [--cap 60] [--shapes "many-keys one-line"]
#
# Needs java, python3 and GNU time (/usr/bin/time). Writes its files into a temporary directory and removes it.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
JARS=()
RUNS=3
CAP=60
SHAPES="comment-line quoted-value plain-value many-keys one-line deep-nesting comment-lines many-listeners"
SHAPES+=" block-backends long-backends sni-routes allow-cidrs big-50MiB"
while (($#)); do
  case "$1" in
    --jar) JARS+=("$2"); shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --cap) CAP=$2; shift 2 ;;
    --shapes) SHAPES=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
((${#JARS[@]})) || JARS=("$ROOT/proxy/target/weir.jar")

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import sys
d = sys.argv[1]
size = 3 * 1024 * 1024 - 64
head = "listeners:\n  web: {bind: 127.0.0.1:8080, pool: web}\npools:\n  web:\n    backends: [127.0.0.1:9001]\n"
def filled(h, t, n=size):
    return h + "x" * (n - len(h) - len(t)) + t
def write(name, text):
    open(f"{d}/{name}.yaml", "w").write(text)
write("comment-line", filled(head + "#", "\n"))
write("quoted-value", filled(head + '    health-check: {type: http, path: "/', '"}\n'))
write("plain-value", filled(head + "    health-check: {type: http, path: /", "}\n"))
pools, i = [head], 0
while sum(map(len, pools)) < size - 100:
    pools.append(f"  p{i}:\n    backends: [127.0.0.1:{9000 + i % 1000}]\n"); i += 1
write("many-keys", "".join(pools))
one, i = ['{"listeners": {"web": {"bind": "127.0.0.1:8080", "pool": "web"}}, "pools": {"web": {"backends": ['], 0
n = len(one[0])
while n < size - 100:
    s = f'"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}:80", '; one.append(s); n += len(s); i += 1
write("one-line", "".join(one) + '"10.255.255.255:80"]}}}\n')
write("deep-nesting", filled(head + "x: " + "[" * 10000 + "]" * 10000 + "\n#", "\n"))
line = "# a comment line of some length, like those of the reference file\n"
write("comment-lines", head + line * ((size - len(head)) // len(line)))
write("big-50MiB", filled(head + "#", "\n", 50 * 1024 * 1024))
def ip(i):
    return f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
def items(name, start, item):
    out, n, i = [start], len(start), 0
    while n + len(item(i)) <= size:
        out.append(item(i)); n += len(item(i)); i += 1
    write(name, "".join(out))
pool = "pools:\n  web:\n    backends: [127.0.0.1:9001]\n"
web = "listeners:\n  web: {bind: 127.0.0.1:8080, pool: web}\npools:\n  web:\n    backends:\n"
items("many-listeners", pool + "listeners:\n", lambda i: f"  l{i}: {{bind: '{ip(i)}:80', pool: web}}\n")
items("block-backends", web, lambda i: f"      - {ip(i)}:80\n")
items("long-backends", web, lambda i: f"      - {{address: '{ip(i)}:80', weight: 2, name: b{i}}}\n")
items("sni-routes", pool + "listeners:\n  web:\n    bind: 127.0.0.1:8443\n    pool: web\n    sni:\n      routes:\n",
      lambda i: f"        h{i}.example.com: web\n")
items("allow-cidrs", pool + "listeners:\n  web:\n    bind: 127.0.0.1:8443\n    pool: web\n    allow:\n",
      lambda i: f"      - {ip(i)}/32\n")
PY

printf '%-22s %-14s %9s %8s %8s %9s %5s\n' jar shape bytes wall_s cpu_s rss_MiB exit
for f in $SHAPES; do
  opts=()
  [[ $f == big-50MiB ]] && opts=(-Xmx256m)
  declare -A best=() bestwall=() capped=()
  for ((r = 0; r < RUNS; r++)); do
    for jar in "${JARS[@]}"; do
      [[ -n ${capped[$jar]:-} ]] && continue
      /usr/bin/time -o "$WORK/time" -f "%e %U %S %M %x" timeout "$CAP" java "${opts[@]}" -jar "$jar" validate \
        "$WORK/$f.yaml" > "$WORK/out" 2>&1 || true
      read -r e u s m x < <(tail -1 "$WORK/time")
      [[ $x == 124 ]] && capped[$jar]=1 && e=">$CAP"
      if [[ -z ${best[$jar]:-} ]] || { [[ $e != ">"* ]] && awk "BEGIN{exit !($e < ${bestwall[$jar]})}"; }; then
        bestwall[$jar]=$e
        best[$jar]=$(printf '%9s %8s %8s %9s %5s' "$(stat -c %s "$WORK/$f.yaml")" "$e" "$(awk "BEGIN{print $u+$s}")" \
          "$((m / 1024))" "$x")
      fi
    done
  done
  for jar in "${JARS[@]}"; do
    printf '%-22s %-14s %s\n' "$jar" "$f" "${best[$jar]}"
  done
  unset best bestwall capped
done
