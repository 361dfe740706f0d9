#!/usr/bin/env bash
# Builds Ferry's container base image from this machine's JDK, without a Docker daemon or a
# registry, as a `docker save` tarball that Jib reads with `tar://` (ferry-app's `image` profile).
#
#   deploy/image/base-image.sh OUT.tar
#
# Why: the image profile used to start FROM eclipse-temurin:17-jre, which Jib must pull from Docker
# Hub; a build machine that reaches only Maven Central and a Debian mirror cannot. This image is the
# same idea made locally, in one layer:
#   /opt/java   a Java runtime jlinked from the JDK's jmods (every java.* and jdk.* module the JDK
#               ships that a server may load at run time; no compiler, no debugger agent), with its
#               CA certificates copied in;
#   the shared libraries that runtime links against (ldd of every .so and executable in it, plus
#               the dynamic loader), at the paths the host has them — glibc, zlib and friends;
#   /etc/passwd and /etc/group with root and ferry (10001, the user deploy/k8s runs as), /tmp,
#               and empty /proc, /dev and /sys for the runtime to mount over.
# No shell and no package manager: the image runs `java` only (Jib's entrypoint is exec-form).
# Needs: a JDK 17+ with jmods (Debian: openjdk-17-jdk plus openjdk-17-jmods), tar, sha256sum, ldd.
# The result is byte-for-byte reproducible for a given JDK and set of host libraries (fixed file
# times and owners), so Jib's layer cache and image digest stay stable across builds.
set -euo pipefail

out="${1:?usage: base-image.sh OUT.tar}"
die() { echo "base-image: $*" >&2; exit 1; }
for tool in jlink tar sha256sum ldd; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v jlink)")")")}"
[ -d "$java_home/jmods" ] || die "no jmods in $java_home (Debian: apt-get install openjdk-17-jmods)"

work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-base-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root/opt" "$root/etc" "$root/tmp" "$root/proc" "$root/dev" "$root/sys"
chmod 1777 "$root/tmp"

# Every module of the JDK except the development tools: jdeps over 180 jars misses what Kafka,
# Spring and the JDBC driver load reflectively (jdk.unsupported, jdk.crypto.ec, java.management …).
modules="$(ls "$java_home/jmods" | sed 's/\.jmod$//' \
  | grep -v -E '^jdk\.(compiler|javadoc|jdeps|jlink|jpackage|jshell|jartool|jconsole|hotspot\.agent|jdi|jdwp\.agent|jstatd|internal\.(ed|le|opt|jvmstat))$' \
  | paste -sd, -)"
jlink --module-path "$java_home/jmods" --add-modules "$modules" \
  --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$root/opt/java" >/dev/null
# Debian's JDK keeps the CA store in /etc/ssl/certs/java/cacerts; jlink copies only the link.
cacerts="$java_home/lib/security/cacerts"
if [ -e "$cacerts" ]; then
  rm -f "$root/opt/java/lib/security/cacerts"
  cp -L "$cacerts" "$root/opt/java/lib/security/cacerts"
fi

# Shared libraries: everything ldd resolves for the runtime's executables and libraries, except
# those only a desktop application loads (X11 windows, splash screen, sound, font rendering): a
# headless server never does, and they would pull in X11, freetype, harfbuzz and glib.
find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper \) \
  ! -name libawt_xawt.so ! -name libjawt.so ! -name libsplashscreen.so ! -name libjsound.so \
  ! -name libfontmanager.so -print0 \
  | xargs -0 ldd 2>/dev/null \
  | awk '/=> \// {print $3} /^\s*\/[^ ]+ \(0x/ {print $1}' \
  | sort -u >"$work/libs"
[ -s "$work/libs" ] || die "ldd found no libraries for the jlinked runtime"
while read -r lib; do
  case "$lib" in "$root"*) continue ;; esac # the runtime's own libraries
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done <"$work/libs"
# The loader under the name the executables ask for (e.g. /lib64/ld-linux-x86-64.so.2).
interp="$(readelf -l "$root/opt/java/bin/java" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]/\1/p' || true)"
if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
  mkdir -p "$root$(dirname "$interp")"
  cp -L "$interp" "$root$interp"
fi

printf 'root:x:0:0:root:/root:/sbin/nologin\nferry:x:10001:10001:ferry:/tmp:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nferry:x:10001:\n' >"$root/etc/group"

# One layer, reproducible: sorted names, fixed times and owners.
tar --sort=name --mtime='1970-01-01 00:00:01Z' --owner=0 --group=0 --numeric-owner \
  -C "$root" -cf "$work/layer.tar" .
diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
arch="$(uname -m)"
case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
cat >"$work/config.json" <<EOF
{"architecture":"$arch","os":"linux","config":{"Env":["PATH=/opt/java/bin:/usr/local/bin:/usr/bin:/bin","JAVA_HOME=/opt/java","LANG=C.UTF-8"]},"rootfs":{"type":"layers","diff_ids":["$diff_id"]},"history":[{"created_by":"deploy/image/base-image.sh (jlink $("$java_home/bin/java" -version 2>&1 | head -1 | tr -d '"'))"}]}
EOF
cat >"$work/manifest.json" <<EOF
[{"Config":"config.json","RepoTags":["ferry-base:local"],"Layers":["layer.tar"]}]
EOF
mkdir -p "$(dirname "$out")"
tar --sort=name --mtime='1970-01-01 00:00:01Z' --owner=0 --group=0 --numeric-owner \
  -C "$work" -cf "$out.tmp" manifest.json config.json layer.tar
mv "$out.tmp" "$out"
echo "base-image: $out ($(du -m "$out" | cut -f1) MiB, layer $diff_id)" >&2
