#!/usr/bin/env bash
# Installs everything the test suite needs: the project with all extras and pytest,
# and Chromium (Debian's package) for the report test. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test]"
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
