#!/usr/bin/env bash
# Builds the single-page app into web/dist. Until the UI lands, web/public
# holds finished static files and the build is a copy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
src=$root/web/public
dist=$root/web/dist

[ -s "$src/index.html" ] || {
	echo "opsconductor: error: $src/index.html is missing" >&2
	exit 1
}
# Build next to the old output and swap, so nginx never serves a half copy.
rm -rf "$dist.new"
mkdir -p "$dist.new"
cp -R "$src/." "$dist.new/"
chmod -R u=rwX,go=rX "$dist.new"
rm -rf "$dist.old"
if [ -d "$dist" ]; then
	mv "$dist" "$dist.old"
fi
mv "$dist.new" "$dist"
rm -rf "$dist.old"
