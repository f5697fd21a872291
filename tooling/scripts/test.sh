#!/usr/bin/env bash
# Runs every check and test after setup.sh: type-check (tests included), the tsconfig reference
# check, the typedoc build (warnings are errors), the packed tarballs of the published packages
# (tooling/scripts/check-packages.mjs: contents, publint, attw) and every vitest project on the cpu and wasm
# backends (TF_BACKENDS overrides). Ends with one plain line: N passed, N failed, N skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 NO_COLOR=1
status=0
pnpm exec tsc -b || status=1
node tooling/scripts/check-references.mjs || status=1
pnpm exec typedoc --logLevel Warn || status=1
node tooling/scripts/check-packages.mjs || status=1
mkdir -p node_modules/.cache
rm -f node_modules/.cache/vitest.json
TF_BACKENDS=${TF_BACKENDS:-cpu,wasm} pnpm exec vitest run --reporter=default --reporter=json \
  --outputFile.json=node_modules/.cache/vitest.json || status=1
node tooling/scripts/vitest-summary.mjs node_modules/.cache/vitest.json || status=1
exit $status
