#!/usr/bin/env bash
# make deb: builds the Debian package from this tree (debian/, debhelper)
# in a copy under OUTDIR (default build-deb), so that neither the tree nor
# its parent directory gets dpkg-buildpackage's files.  The .deb ends in
# OUTDIR; its path is the last line printed.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mkdir -p "${1:-build-deb}" && cd "${1:-build-deb}" && pwd)
VER=$(dpkg-parsechangelog -S Version)
SRC=$OUT/dpf-$VER
rm -rf "$SRC" "$OUT"/dpf_*
mkdir -p "$SRC"
# The tree without build outputs, VCS data or local corpora.
tar -c --exclude=./.git --exclude='./build*' --exclude=./.fuzz-corpus \
	--exclude=./.fuzz-artifacts --exclude=./.gl --exclude=./.whl . | tar -x -C "$SRC"
(cd "$SRC" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1 ||
	{ tail -40 "$OUT/build.log" >&2; echo "deb: dpkg-buildpackage failed (log: $OUT/build.log)" >&2; exit 1; }
ls "$OUT"/dpf_"$VER"_*.deb
