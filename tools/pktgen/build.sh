#!/usr/bin/env bash
# make pktgen: builds Pktgen-DPDK 23.03.0 from ../shared/vendor into
# build-pktgen/ against the system's DPDK (Debian 12: 22.11), with Lua.
#
#   tools/pktgen/build.sh [OUT_DIR]       (default build-pktgen)
#
# Idempotent: the source is unpacked and patched once (a stamp records the
# tarball's checksum and the patch list; a change starts over), then ninja
# rebuilds only what changed.  The binary is OUT_DIR/B/app/pktgen.
# PKTGEN_TARBALL overrides the source tarball.
# Patches: tools/pktgen/patches/*.patch, applied in name order with -p1
# (README.md there says what each one is for).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-build-pktgen}
TARBALL=${PKTGEN_TARBALL:-$ROOT/../shared/vendor/pktgen-23.03.0.tar.gz}
[ -f "$TARBALL" ] || TARBALL=/work/shared/vendor/pktgen-23.03.0.tar.gz
[ -f "$TARBALL" ] || { echo "pktgen: no source tarball (PKTGEN_TARBALL)" >&2; exit 1; }
for p in pkg-config meson ninja; do
	command -v $p >/dev/null || { echo "pktgen: $p missing (make deps)" >&2; exit 1; }
done
pkg-config --exists libdpdk || { echo "pktgen: libdpdk-dev missing (make deps)" >&2; exit 1; }
pkg-config --exists lua5.3 || { echo "pktgen: liblua5.3-dev missing (make deps)" >&2; exit 1; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SRC=$OUT/src
stamp=$( (sha256sum "$TARBALL" | cut -d' ' -f1
	for p in "$HERE"/patches/*.patch; do [ -f "$p" ] && sha256sum "$p"; done) | sha256sum | cut -d' ' -f1)
if [ ! -f "$OUT/.stamp" ] || [ "$(cat "$OUT/.stamp")" != "$stamp" ]; then
	echo "pktgen: unpacking $(basename "$TARBALL") into $SRC"
	rm -rf "$SRC" "$OUT/B" "$OUT/.stamp"
	mkdir -p "$SRC"
	tar -xzf "$TARBALL" -C "$SRC" --strip-components=1
	for p in "$HERE"/patches/*.patch; do
		[ -f "$p" ] || continue
		echo "pktgen: applying $(basename "$p")"
		patch -d "$SRC" -p1 -s --no-backup-if-mismatch <"$p"
	done
	echo "$stamp" >"$OUT/.stamp"
fi
if [ ! -f "$OUT/B/build.ninja" ]; then
	# c_args: the build line of ../shared/README.md (DPDK include flags).
	meson setup "$OUT/B" "$SRC" -Denable_lua=true \
		-Dc_args="$(pkg-config --cflags-only-I libdpdk)"
fi
ninja -C "$OUT/B"
echo "pktgen: built $OUT/B/app/pktgen"
