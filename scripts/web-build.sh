#!/usr/bin/env bash
# Builds the single-page app (web/) into web/dist: npm ci when
# node_modules is missing or the lockfile changed, a type check, then
# vite build next to the old output and a swap. Skipped when nothing
# the build reads has changed since the last one.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
web=$root/web
dist=$web/dist
mods=$web/node_modules

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
	echo "opsconductor: error: node and npm are needed to build web/;" \
		"run scripts/deps.sh build (as root) or install nodejs and npm" >&2
	exit 1
}

cd "$web"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d "$mods" ] || [ "$(cat "$mods/.oc-lock" 2>/dev/null)" != "$lock_sum" ]; then
	echo "web: npm ci" >&2
	npm ci --no-audit --no-fund --loglevel=error
	echo "$lock_sum" >"$mods/.oc-lock"
fi

# Everything the output depends on, hashed.
src_sum=$(find src index.html package-lock.json vite.config.ts tsconfig.json \
	-type f ! -name '*.test.ts' ! -name '*.test.tsx' -print0 | sort -z |
	xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -s "$dist/index.html" ] && [ "$(cat "$mods/.oc-dist" 2>/dev/null)" = "$src_sum" ]; then
	exit 0
fi

echo "web: type check and vite build" >&2
node_modules/.bin/tsc -p tsconfig.json --noEmit
rm -rf "$dist.new"
node_modules/.bin/vite build --outDir "$dist.new" --emptyOutDir --logLevel warn
chmod -R u=rwX,go=rX "$dist.new"
rm -rf "$dist.old"
if [ -d "$dist" ]; then
	mv "$dist" "$dist.old"
fi
mv "$dist.new" "$dist"
rm -rf "$dist.old"
echo "$src_sum" >"$mods/.oc-dist"
