#!/usr/bin/env bash
# Builds a Java runtime base image without any image registry: a jlink runtime of the local JDK plus the
# shared libraries it needs (as ldd lists them) and the dynamic loader, FROM scratch. deploy/Dockerfile and
# deploy/backend-sample.Dockerfile build on it with --build-arg JRE_IMAGE=<this image>.
#
#   deploy/local-jre-image.sh [IMAGE]          # default IMAGE: weir-jre:local
#   JDK=/usr/lib/jvm/java-17-openjdk-amd64 deploy/local-jre-image.sh
#
# The image has the layout of eclipse-temurin's (java at /opt/java/openjdk/bin/java, on PATH), a writable
# /tmp (Netty extracts its native transports there), /etc/passwd and /etc/group with the non-root user
# weir (10001), /etc/nsswitch.conf, and nothing else: no shell, no package manager.
#
# Modules: what `jdeps --print-module-deps` reports for weir.jar and backend-sample.jar
# (java.base, java.desktop for java.beans, java.naming, java.sql, jdk.jfr, jdk.management, jdk.net,
# jdk.unsupported), the modules they imply (java.logging, java.management, java.xml), and jdk.crypto.ec
# and jdk.zipfs, which the JDK's own images carry. The container suite checks jdeps's list against
# JRE_MODULES below, so a new dependency that needs another module fails a test instead of a user.
set -euo pipefail

IMAGE="${1:-weir-jre:local}"
JRE_MODULES="java.base,java.desktop,java.logging,java.management,java.naming,java.sql,java.xml,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.net,jdk.unsupported,jdk.zipfs"

if [[ "${1:-}" == "--modules" ]]; then   # for the suite's check
  echo "$JRE_MODULES"
  exit 0
fi

if [[ -z "${JDK:-}" ]]; then
  javac_path="$(command -v javac || true)"
  [[ -n "$javac_path" ]] || { echo "local-jre-image: no javac on PATH; set JDK=/path/to/jdk" >&2; exit 1; }
  JDK="$(dirname "$(dirname "$(readlink -f "$javac_path")")")"
fi
[[ -x "$JDK/bin/jlink" ]] || { echo "local-jre-image: $JDK/bin/jlink not found (JDK=$JDK is not a full JDK)" >&2; exit 1; }
command -v docker >/dev/null || { echo "local-jre-image: no docker client on PATH" >&2; exit 1; }
command -v ldd >/dev/null || { echo "local-jre-image: no ldd on PATH (Debian: libc-bin)" >&2; exit 1; }

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/weir-jre.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
rt="$root/opt/java/openjdk"
mkdir -p "$root/opt/java"

# --compress=2 is JDK 17's spelling; JDK 21 and later call it zip-6 and warn about the old one.
jdk_major="$("$JDK/bin/jlink" --version | cut -d. -f1)"
if ((jdk_major >= 21)); then compress=zip-6; else compress=2; fi
"$JDK/bin/jlink" --add-modules "$JRE_MODULES" --output "$rt" \
  --strip-debug --no-header-files --no-man-pages --compress="$compress"
# Class data sharing: a faster start. Best effort, not every JDK build can dump an archive.
"$rt/bin/java" -Xshare:dump >/dev/null 2>&1 || true

# Every shared object the runtime loads, and the native transports Netty extracts from the jars at run time.
objects=("$rt/bin/java")
while IFS= read -r -d '' so; do objects+=("$so"); done < <(find "$rt" -name '*.so' -print0)
if [[ -f "$here/../proxy/target/weir.jar" ]]; then
  mkdir -p "$work/native"
  (cd "$work/native" && "$JDK/bin/jar" xf "$here/../proxy/target/weir.jar" META-INF/native) || true
  while IFS= read -r -d '' so; do objects+=("$so"); done < <(find "$work/native" -name '*x86_64*.so' -print0 2>/dev/null)
fi

# ldd's "name => /path (addr)" and "/path/ld-linux (addr)" lines; libraries of the runtime itself resolve
# through LD_LIBRARY_PATH and are already in place. A library ldd cannot find (X11 for java.desktop's AWT,
# which a headless server never loads) is reported and left out.
declare -A libs=()
missing=()
for obj in "${objects[@]}"; do
  while IFS= read -r line; do
    if [[ "$line" =~ ^[[:space:]]*([^[:space:]]+)\ =\>\ not\ found ]]; then
      missing+=("${BASH_REMATCH[1]} (for ${obj#"$root"})")
    elif [[ "$line" =~ =\>\ (/[^[:space:]]+) ]]; then
      libs["${BASH_REMATCH[1]}"]=1
    elif [[ "$line" =~ ^[[:space:]]*(/[^[:space:]]+)\ \( ]]; then
      libs["${BASH_REMATCH[1]}"]=1
    fi
  done < <(LD_LIBRARY_PATH="$rt/lib:$rt/lib/server" ldd "$obj" 2>/dev/null || true)
done
# The loader under the name in the ELF headers (PT_INTERP), glibc's core libraries whatever ldd said.
interp="$(readelf -l "$rt/bin/java" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p' || true)"
interp="${interp:-/lib64/ld-linux-x86-64.so.2}"
libs["$interp"]=1
for name in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1; do
  for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib; do
    if [[ -e "$dir/$name" ]]; then libs["$dir/$name"]=1; break; fi
  done
done
for lib in "${!libs[@]}"; do
  case "$lib" in "$rt"/*) continue ;; esac
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
if ((${#missing[@]})); then
  printf 'local-jre-image: left out (not found by ldd, not needed headless): %s\n' \
    "$(printf '%s\n' "${missing[@]}" | sort -u | paste -sd ';' -)" >&2
fi

mkdir -p "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
weir:x:10001:10001:weir:/tmp:/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
weir:x:10001:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"

release="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$rt/release")"
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
cat >"$work/Dockerfile" <<EOF
FROM scratch
ADD rootfs.tar /
ENV JAVA_HOME=/opt/java/openjdk \\
    PATH=/opt/java/openjdk/bin:/usr/bin:/bin \\
    LANG=C.UTF-8
LABEL org.opencontainers.image.title="weir-jre" \\
      org.opencontainers.image.description="jlink runtime of $JDK (Java $release), built by deploy/local-jre-image.sh" \\
      dev.weir.jre.modules="$JRE_MODULES"
EOF
# The classic builder: it needs no BuildKit (nor the buildx plugin) and works on every Docker engine.
if ! out="$(DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$work" 2>&1)"; then
  echo "$out" >&2
  echo "local-jre-image: docker build failed" >&2
  exit 1
fi
size="$(docker image inspect -f '{{.Size}}' "$IMAGE")"
echo "local-jre-image: built $IMAGE (Java $release, $((size / 1024 / 1024)) MiB) from $JDK"
