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
# The web demo's end-to-end test drives Debian's chromium (never a downloaded browser). CI installs
# it when it runs as root; elsewhere the e2e test skips with a notice when chromium is absent.
if [ "${CI:-}" = "true" ] && [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for the web demo's e2e test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 \
    || echo "setup: chromium could not be installed; the e2e test will skip" >&2
fi
pnpm turbo run build --output-logs=errors-only >&2
