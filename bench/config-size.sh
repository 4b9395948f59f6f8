#!/usr/bin/env bash
# weir validate on config files of awkward shapes, 3 MiB each (the size limit), as a user runs it: the best of
# --runs runs by wall time, with that run's CPU time (user + system), max RSS and exit status. Shapes: one long
# comment line, a long quoted value, a long plain value, many short keys (pools), the whole config on one line
# (a long flow list), deep nesting (refused at SnakeYAML's depth 50), many short comment lines; and a 50 MiB file
# under -Xmx256m (refused by its size). Compare builds with several --jar.
#
#   bench/config-size.sh [--jar proxy/target/weir.jar]... [--runs 3]
#
# Needs java, python3 and GNU time (/usr/bin/time). Writes its files into a temporary directory and removes it.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
JARS=()
RUNS=3
while (($#)); do
  case "$1" in
    --jar) JARS+=("$2"); shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
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
PY

printf '%-14s %-14s %9s %8s %8s %9s %5s\n' jar shape bytes wall_s cpu_s rss_MiB exit
for jar in "${JARS[@]}"; do
  for f in comment-line quoted-value plain-value many-keys one-line deep-nesting comment-lines big-50MiB; do
    opts=()
    [[ $f == big-50MiB ]] && opts=(-Xmx256m)
    best=""
    for ((r = 0; r < RUNS; r++)); do
      /usr/bin/time -o "$WORK/time" -f "%e %U %S %M %x" java "${opts[@]}" -jar "$jar" validate "$WORK/$f.yaml" \
        > "$WORK/out" 2>&1 || true
      read -r e u s m x < <(tail -1 "$WORK/time")
      if [[ -z $best ]] || awk "BEGIN{exit !($e < $bestwall)}"; then
        bestwall=$e
        best=$(printf '%9s %8s %8s %9s %5s' "$(stat -c %s "$WORK/$f.yaml")" "$e" "$(awk "BEGIN{print $u+$s}")" \
          "$((m / 1024))" "$x")
      fi
    done
    printf '%-14s %-14s %s\n' "$(basename "$(dirname "$(dirname "$jar")")")/$(basename "$jar")" "$f" "$best"
  done
done
