#!/usr/bin/env bash
# Builds the JMH benchmarks jar (bench/jmh, Maven profile -Pjmh) and runs it with modest settings.
#
#   bench/jmh.sh [--java PATH] [--no-build] [JMH ARGS...]
#
# Default JMH args: -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc (gc: allocated bytes per operation,
# gc.alloc.rate.norm). Extra args are passed to JMH, e.g. a regex of benchmarks: bench/jmh.sh Pick
# or parameters: bench/jmh.sh -p backends=1000. Results also go to bench/jmh/target/jmh-result.txt.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
JAVA=java
BUILD=1
while [ $# -gt 0 ]; do
  case $1 in
    --java) JAVA=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
cd "$ROOT"
if [ $BUILD = 1 ]; then
  mvn -q -pl bench/jmh -am package -DskipTests -Pjmh
fi
JAR=$ROOT/bench/jmh/target/benchmarks.jar
[ -f "$JAR" ] || { echo "missing $JAR (run without --no-build)" >&2; exit 1; }
"$JAVA" -version 2>&1 | head -1
"$JAVA" -jar "$JAR" -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc \
  -rf text -rff "$ROOT/bench/jmh/target/jmh-result.txt" "$@"
