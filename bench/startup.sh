#!/usr/bin/env bash
# Start to accepting, in interleaved rounds: each round starts every variant once, so that a busy machine's
# noise falls on all of them alike. A start is timed from exec to the first successful TCP connect to the
# listener (LoadGen startup, polling every 2 ms), then the process gets SIGTERM.
#
#   bench/startup.sh [ROUNDS]          # default 12; needs proxy/target/weir.jar (mvn -q package -DskipTests)
#   JAVA25=/path/to/jdk-25/bin/java bench/startup.sh   # adds the Java 25 variants (default: Temurin 25 if present)
#
# Variants, for Java 17 (java on PATH) and 25:
#   jar       java -jar weir.jar run -c CFG, no flags
#   off       deploy/bin/weir with WEIR_CDS=off: the launcher's flags, no class archive
#   cache     deploy/bin/weir with its archive in the cache directory (made by a first, untimed run)
#   beside    deploy/bin/weir with weir.jsa (17) or weir.aot (25) beside the jar, made by `weir train` (the image's way)
# The config: one listener, a pool of two backends with TCP health checks, the admin endpoint, the access log on.
set -euo pipefail

ROUNDS=${1:-12}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
JAR=$repo/proxy/target/weir.jar
LAUNCHER=$repo/deploy/bin/weir
JAVA17=${JAVA17:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
[ -f "$JAR" ] || { echo "startup.sh: $JAR missing (mvn -q package -DskipTests)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/weir-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT
javac -d "$work/cls" "$here/LoadGen.java"

port=$(( 20000 + RANDOM % 8000 ))
while [ -n "$(ss -Htan "sport = :$port")" ]; do port=$((port + 1)); done
admin=$((port + 1))
cat >"$work/weir.yaml" <<EOF
listeners:
  web: {bind: "127.0.0.1:$port", pool: web}
pools:
  web:
    backends: ["127.0.0.1:$((port + 2))", "127.0.0.1:$((port + 3))"]
    health-check: {type: tcp, interval: 2s, timeout: 1s}
shutdown: {drain-timeout: 0s}
admin: {bind: "127.0.0.1:$admin", token: bench}
EOF

names=()
cmds=()
variant() { names+=("$1"); shift; cmds+=("$(printf '%q ' "$@")"); }
for v in 17 25; do
  java_bin=JAVA$v
  java_bin=${!java_bin}
  if [ "$v" = 25 ] && [ ! -x "$java_bin" ]; then
    echo "startup.sh: no Java 25 at $java_bin (set JAVA25): its variants are left out" >&2
    continue
  fi
  mkdir -p "$work/beside$v" "$work/cache$v"
  cp "$JAR" "$work/beside$v/weir.jar"
  if [ "$v" = 25 ]; then out=(-XX:AOTCacheOutput="$work/beside$v/weir.aot"); else out=(-XX:ArchiveClassesAtExit="$work/beside$v/weir.jsa"); fi
  "$java_bin" "${out[@]}" -XX:+UseParallelGC -Xlog:cds=off -Xlog:cds+dynamic=off -jar "$work/beside$v/weir.jar" train >"$work/train$v.log" 2>&1 \
    || { echo "startup.sh: weir train failed on Java $v (log: $work/train$v.log)" >&2; cat "$work/train$v.log" >&2; exit 1; }
  variant "jar$v" "$java_bin" -jar "$JAR" run -c "$work/weir.yaml"
  variant "off$v" env JAVA="$java_bin" WEIR_JAR="$JAR" WEIR_CDS=off "$LAUNCHER" run -c "$work/weir.yaml"
  variant "cache$v" env JAVA="$java_bin" WEIR_JAR="$JAR" XDG_CACHE_HOME="$work/cache$v" "$LAUNCHER" run -c "$work/weir.yaml"
  variant "beside$v" env JAVA="$java_bin" WEIR_JAR="$work/beside$v/weir.jar" "$LAUNCHER" run -c "$work/weir.yaml"
done

start() { # $1: index; prints the milliseconds
  java -XX:+UseSerialGC -cp "$work/cls" LoadGen startup "127.0.0.1:$port" 1 60 -- bash -c "exec ${cmds[$1]}" \
    | sed -n 's/^run 1: \([0-9]*\) ms/\1/p'
}

# The cache variants' first run writes their archive when it exits: untimed.
for i in "${!names[@]}"; do
  case ${names[$i]} in cache*) start "$i" >/dev/null ;; esac
done

declare -A ms
for r in $(seq "$ROUNDS"); do
  for i in "${!names[@]}"; do
    t=$(start "$i")
    [ -n "$t" ] || { echo "startup.sh: ${names[$i]} did not start" >&2; exit 1; }
    ms[${names[$i]}]+="$t "
  done
done

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds"
printf '%-10s %8s %8s %8s\n' variant median min max
for n in "${names[@]}"; do
  read -r -a v <<<"${ms[$n]}"
  mapfile -t s < <(printf '%s\n' "${v[@]}" | sort -n)
  c=${#s[@]}
  if ((c % 2)); then med=${s[c / 2]}; else med=$(( (s[c / 2 - 1] + s[c / 2]) / 2 )); fi
  printf '%-10s %8s %8s %8s\n' "$n" "$med" "${s[0]}" "${s[c - 1]}"
done
