#!/usr/bin/env bash
# Lint: tsc --noEmit on every TypeScript project, wp-scripts lint-js on blocks and admin app,
# php -l on every PHP file we ship or use in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for project in packages/contracts packages/api-client packages/meeting-room packages/platform-fakes packages/wp-harness sidecar e2e blocks admin-app; do
  if ! node_modules/.bin/tsc -p "$project" --noEmit; then
    echo "tsc failed in $project"; status=1
  fi
done
for pkg in blocks admin-app; do
  (cd "$pkg" && pnpm run -s lint-js) || { echo "lint-js failed in $pkg"; status=1; }
done
# The room package has no wp-scripts of its own: the blocks' ESLint config checks it.
(cd packages/meeting-room && ../../blocks/node_modules/.bin/wp-scripts lint-js --config ../../blocks/eslint.config.cjs src) || { echo "lint-js failed in packages/meeting-room"; status=1; }
php_failed=0
while IFS= read -r -d '' file; do
  php -l "$file" >/dev/null || { echo "php -l failed: $file"; php_failed=1; }
done < <(find plugin packages/wp-harness/fixtures blocks/src -name '*.php' -print0)
[ "$php_failed" = 0 ] || status=1
[ "$status" = 0 ] && echo "lint: ok"
exit "$status"
