#!/usr/bin/env bash
# Builds the installable plugin zip: PHP, built block and admin assets, languages, readme.
# No node_modules, no sources, no source maps.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm --filter @bkx-video/blocks --filter @bkx-video/admin-app run build >/dev/null
version=$(sed -n 's/^ \* Version: *//p' plugin/bookingx-video-consultation.php | head -1)
stage=$(mktemp -d)
dest="$stage/bookingx-video-consultation"
mkdir -p "$dest"
cp -r plugin/bookingx-video-consultation.php plugin/readme.txt plugin/src plugin/assets plugin/languages plugin/build "$dest/"
find "$dest" -name '*.map' -delete
mkdir -p dist
rm -f "dist/bookingx-video-consultation-${version}.zip"
(cd "$stage" && zip -qr - bookingx-video-consultation) > "dist/bookingx-video-consultation-${version}.zip"
rm -rf "$stage"
echo "dist/bookingx-video-consultation-${version}.zip"
