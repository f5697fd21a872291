#!/usr/bin/env bash
# Sets up a fresh clone: the pinned pnpm, every dependency (from the lockfile), and a build of
# every package and app. Safe to run again; turbo caches what did not change.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION" >&2
  npm install -g "pnpm@$PNPM_VERSION" >&2
fi
if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile >&2; else pnpm install --prefer-offline >&2; fi
pnpm turbo run build --output-logs=errors-only >&2
