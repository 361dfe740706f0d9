#!/usr/bin/env bash
# Builds Ferry's container base image as a Docker-archive tarball, offline, from this machine's own
# JDK and C library: no registry, no Docker daemon. Jib then layers the application on top
# (see ferry-app's `image` profile and deploy/README.md).
#
#   deploy/image/build-base-image.sh OUT.tar [JAVA_HOME]
#
# The image holds
#   /opt/java   a jlinked Java runtime with the modules Ferry needs, stripped of debug symbols, man
#               pages and headers; from the JDK given (Maven passes the one it runs on), else
#               JAVA_HOME, else the JDK of `javac` on the PATH
#   /lib*, /usr/lib*   exactly the shared libraries that runtime links to (found with ldd), plus
#               libgcc_s, which glibc loads at thread cancellation
#   /etc        passwd and group with root and ferry (10001), nsswitch.conf; /tmp (1777)
# and nothing else: no shell, no package manager. The layer is reproducible for a given JDK and
# glibc (sorted names, numeric owners, mtime 0).
set -euo pipefail

out=${1:?usage: build-base-image.sh OUT.tar [JAVA_HOME]}
java_home=${2:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}}
[ -x "$java_home/bin/jlink" ] || { echo "build-base-image: no jlink in $java_home (need a JDK)" >&2; exit 1; }

# What Ferry uses beyond java.se: sun.misc.Unsafe users (Kafka, Netty), elliptic-curve TLS,
# JMX and JFR for operators, the zip file system (Spring Boot's nested jars), DNS naming.
modules=java.se,jdk.unsupported,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.management,jdk.management.agent,jdk.jfr,jdk.management.jfr,jdk.zipfs,jdk.naming.dns,jdk.net,jdk.localedata,jdk.charsets,jdk.jcmd

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"

"$java_home/bin/jlink" --add-modules "$modules" --output "$root/opt/java" \
  --strip-debug --no-man-pages --no-header-files --compress=2 --include-locales=en

# A JDK packaged by a distribution may keep some files as links into /etc or /usr/share (Debian:
# lib/security/cacerts → /etc/ssl/certs/java/cacerts); an image needs the files themselves.
find "$root/opt/java" -type l | while read -r link; do
  target=$(readlink -f "$link" || true)
  rm "$link"
  if [ -n "$target" ] && [ -f "$target" ]; then cp "$target" "$link"; fi
done

# Shared libraries: ldd on every ELF file of the runtime; copy each resolved library to the same
# path in the image (following symlinks, keeping the name the loader asks for).
libs=$work/libs
: >"$libs"
# The desktop libraries (X11, sound, splash screen, image codecs) are never loaded by a headless
# server; their dependencies stay out of the image.
find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) \
  ! -name 'libawt_xawt.so' ! -name 'libjawt.so' ! -name 'libsplashscreen.so' \
  ! -name 'libjsound.so' ! -name 'libfontmanager.so' ! -name 'liblcms.so' \
  ! -name 'libjavajpeg.so' ! -name 'libmlib_image.so' | while read -r elf; do
  ldd "$elf" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' >>"$libs" || true
done
# (awk reads all of its input: an early exit would kill ldconfig with SIGPIPE under pipefail)
libgcc=$(ldconfig -p | awk '/libgcc_s\.so\.1 .*(x86-64|AArch64)/ && !f { f = $NF } END { print f }')
[ -n "$libgcc" ] && echo "$libgcc" >>"$libs"
sort -u "$libs" | while read -r lib; do
  case "$lib" in "$root"/*) continue ;; esac # the runtime's own libraries are there already
  [ -e "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
[ -s "$libs" ] || { echo "build-base-image: ldd found no libraries" >&2; exit 1; }

mkdir -p "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nferry:x:10001:10001:ferry:/tmp:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nferry:x:10001:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"

img=$work/image
mkdir -p "$img"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$root" -cf "$img/layer.tar" .
diff_id=$(sha256sum "$img/layer.tar" | cut -d' ' -f1)
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
java_version=$("$root/opt/java/bin/java" -version 2>&1 | awk -F'"' '/version/ && !v { v = $2 } END { print v }')
cat >"$img/config.json" <<EOF
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/opt/java/bin:/usr/bin:/bin","JAVA_HOME=/opt/java","LANG=C.UTF-8"],"Labels":{"dev.ferry.base.java":"$java_version"}},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"deploy/image/build-base-image.sh"}]}
EOF
printf '[{"Config":"config.json","RepoTags":["ferry-base:%s"],"Layers":["layer.tar"]}]\n' "$java_version" >"$img/manifest.json"

mkdir -p "$(dirname "$out")"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$img" -cf "$out.tmp" manifest.json config.json layer.tar
mv "$out.tmp" "$out"
echo "base image: $out (java $java_version, $(du -h "$out" | cut -f1), $(sort -u "$libs" | wc -l) libraries)"
