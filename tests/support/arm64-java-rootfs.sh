#!/bin/sh
# Makes an arm64 Debian trixie root file system with OpenJDK 21 (headless JRE) and writes it as a
# tar file, for `docker import --platform linux/arm64`. Runs on x86_64 through qemu-user-static
# (binfmt_misc must have qemu-aarch64 enabled with the F flag). Needs root, debootstrap and a
# Debian package mirror (debootstrap's default, or $DEBIAN_MIRROR).
# Usage: arm64-java-rootfs.sh <output.tar>     (about 4 min debootstrap + 3 min JRE on 2 cores)
set -eu
out=$1
work="$out.rootfs"
cleanup() {
    umount "$work/proc" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cleanup
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086
debootstrap --arch=arm64 --variant=minbase trixie "$work" ${DEBIAN_MIRROR:-}
mount -t proc proc "$work/proc"
chroot "$work" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive &&
    apt-get -o Acquire::Languages=none update -qq && apt-get install -y -qq --no-install-recommends openjdk-21-jre-headless &&
    apt-get clean && rm -rf /var/lib/apt/lists/* && java -version'
umount "$work/proc"
tar -C "$work" -cf "$out.tmp" .
mv "$out.tmp" "$out"
