#!/usr/bin/env bash
# Runs every test: lint, unit and integration tests (real MariaDB), end-to-end tests (real
# WordPress, sidecar, Chromium). Prints a final "N passed, N failed" line.
# Expects `bash scripts/setup.sh` (or CI) to have installed and built everything.
set -uo pipefail
cd "$(dirname "$0")/.."
out=.tmp/test-results
rm -rf "$out"; mkdir -p "$out"

lint_failed=0
echo "== Lint"
bash scripts/lint.sh || lint_failed=1

echo "== Unit and integration tests"
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$out/unit.json"
unit_rc=$?

echo "== End-to-end tests (Chromium, WordPress, sidecar, fakes)"
(cd e2e && ../node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="../$out/e2e.json")
e2e_rc=$?

node -e '
const fs = require("fs");
let passed = 0, failed = 0;
for (const f of ["unit", "e2e"]) {
  const p = `'"$out"'/${f}.json`;
  if (!fs.existsSync(p)) { failed++; console.log(`${f}: no results (the run crashed)`); continue; }
  const r = JSON.parse(fs.readFileSync(p, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests + (r.numFailedTestSuites || 0);
}
const lint = Number(process.argv[1]);
if (lint) { failed++; console.log("lint: failed"); } else { passed++; }
const line = `${passed} passed, ${failed} failed`;
fs.writeFileSync(`'"$out"'/summary.txt`, line + "\n");
console.log(line);
process.exit(failed ? 1 : 0);
' "$lint_failed"
summary_rc=$?
[ $unit_rc -eq 0 ] && [ $e2e_rc -eq 0 ] && [ $summary_rc -eq 0 ]
