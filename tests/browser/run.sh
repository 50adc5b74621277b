#!/usr/bin/env bash
# Runs the browser tests against an openbar binary: run.sh BINARY ARTIFACT_DIR.
# Installs playwright-core from package-lock.json on first use; the browser
# is Debian's /usr/bin/chromium (scripts/install-deps), never a download.
set -euo pipefail
binary=$(realpath "$1")
artifacts=$(realpath -m "${2:-test-artifacts}")
cd "$(dirname "$0")"
if [[ ! -d node_modules/playwright-core ]]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
OPENBAR_BINARY="$binary" OPENBAR_TEST_ARTIFACTS="$artifacts" node --test --test-concurrency=1 settings.test.mjs
