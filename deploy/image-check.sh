#!/usr/bin/env bash
# The image, built and checked as far as a machine without a container registry allows (issue 26,
# docs/adr/0032-image-built-by-buildpacks.md):
#   deploy/image-check.sh
#
# 1. A stand-in base image made here: a JRE 25 linked by jlink from this machine's Temurin JDK,
#    with the C libraries it needs, in /opt/java/openjdk (where the Temurin images have it), saved
#    as a `docker save` tarball.
# 2. Jib builds the gateway's real image definition (pom.xml) on that base, to an OCI tarball:
#    target/image/malipo-gateway.tar. Only the base differs from a release build.
# 3. ImageTarballUnitTests (run by ./mvnw verify afterwards) inspects that tarball's config: user,
#    entrypoint, exposed port, JVM options, layers.
# 4. As root, the image's entrypoint runs in a chroot of its unpacked layers as the image's user: it
#    must start the gateway, which, given no settings, refuses with exit status 78 and its message.
#
# What stays unverified here: the real base (eclipse-temurin, pinned by digest) and a container
# runtime; CI with registry access builds with `./mvnw -DskipTests compile jib:build`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
. .mvn/select-jdk.sh
[ -n "${JAVA_HOME:-}" ] || { echo "image-check: no JDK >= 21" >&2; exit 1; }

OUT="$repo_root/target/image"
ROOTFS="$OUT/base-rootfs"
# What the Temurin JRE holds, less the tools: the java.se APIs and the JDK modules a server uses.
MODULES=java.se,jdk.unsupported,jdk.management,jdk.management.agent,jdk.net,jdk.zipfs,jdk.naming.dns,jdk.crypto.cryptoki,jdk.jfr,jdk.localedata,jdk.charsets

log() { echo "image-check: $*" >&2; }
fail() { echo "image-check: FAILED: $*" >&2; exit 1; }
command -v jq >/dev/null || fail "jq is missing (apt-get install -y jq)"

umount "$OUT/root/proc" 2>/dev/null || true  # a run stopped half-way
rm -rf "$OUT" && mkdir -p "$OUT/base"

# --- 1. the stand-in base -------------------------------------------------------------------------
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
  --output "$ROOTFS/opt/java/openjdk"
# The shared libraries the JRE's binaries and libraries load, from this machine (glibc, zlib, ...).
find "$ROOTFS/opt/java/openjdk" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 | xargs -0 ldd 2>/dev/null \
  | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | grep -v "^$ROOTFS" | sort -u \
  | while read -r library; do cp --parents -L "$library" "$ROOTFS"; done
mkdir -p "$ROOTFS/tmp" "$ROOTFS/proc" && chmod 1777 "$ROOTFS/tmp"
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$ROOTFS" -cf "$OUT/base/layer.tar" .
diff_id="sha256:$(sha256sum "$OUT/base/layer.tar" | cut -d' ' -f1)"
jq -n --arg diff "$diff_id" '{architecture: "amd64", os: "linux",
  config: {Env: ["PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "JAVA_HOME=/opt/java/openjdk"]},
  rootfs: {type: "layers", diff_ids: [$diff]}}' >"$OUT/base/config.json"
jq -n '[{Config: "config.json", RepoTags: ["malipo-jre-base:local"], Layers: ["layer.tar"]}]' >"$OUT/base/manifest.json"
tar -C "$OUT/base" -cf "$OUT/base.tar" manifest.json config.json layer.tar
log "base made here: $OUT/base.tar ($(du -h "$OUT/base.tar" | cut -f1))"

# --- 2. the image ---------------------------------------------------------------------------------
./mvnw -q -DskipTests compile jib:buildTar \
  -Djib.from.image="tar://$OUT/base.tar" -Djib.outputPaths.tar="$OUT/malipo-gateway.tar"
log "image: $OUT/malipo-gateway.tar ($(du -h "$OUT/malipo-gateway.tar" | cut -f1))"

# --- 4. the entrypoint, as the image's user, in a chroot of the layers -----------------------------
mkdir -p "$OUT/oci" "$OUT/root"
tar -xf "$OUT/malipo-gateway.tar" -C "$OUT/oci"
manifest="$OUT/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$OUT/oci/index.json" | cut -d: -f2)"
config="$OUT/oci/blobs/sha256/$(jq -r '.config.digest' "$manifest" | cut -d: -f2)"
for layer in $(jq -r '.layers[].digest' "$manifest" | cut -d: -f2); do
  tar -xzf "$OUT/oci/blobs/sha256/$layer" -C "$OUT/root" 2>/dev/null
done
CHROOT="$(command -v chroot || true)"
[ -n "$CHROOT" ] || CHROOT=/usr/sbin/chroot
if [ "$(id -u)" != 0 ] || [ ! -x "$CHROOT" ]; then
  log "not root: the entrypoint run in a chroot is skipped (the tarball's config is still checked by ImageTarballUnitTests)"
  exit 0
fi
mkdir -p "$OUT/root/proc"
# The dynamic loader resolves the launcher's $ORIGIN through /proc/self/exe.
mount -t proc proc "$OUT/root/proc" || { log "cannot mount /proc: the chroot run is skipped"; exit 0; }
trap 'umount "$OUT/root/proc" 2>/dev/null || true' EXIT
user="$(jq -r '.config.User' "$config")"
mapfile -t env_vars < <(jq -r '.config.Env[]' "$config")
mapfile -t entrypoint < <(jq -r '.config.Entrypoint[]' "$config")
set +e
env -i "${env_vars[@]}" timeout 60 "$CHROOT" --userspec="$user" "$OUT/root" "${entrypoint[@]}" >"$OUT/run.log" 2>&1
status=$?
set -e
[ "$status" = 78 ] || { tail -n 20 "$OUT/run.log" >&2; fail "the image's entrypoint exited $status, expected 78 (settings missing)"; }
grep -q 'malipo.cards.fingerprint-key' "$OUT/run.log" || fail "the refusal does not name the missing settings"
grep -q 'Picked up JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=70' "$OUT/run.log" || fail "the image's JVM options were not applied"
log "entrypoint ${entrypoint[*]} ran as $user: the gateway started and refused without settings (exit 78)"
log "OK"
