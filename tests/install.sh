#!/usr/bin/env bash
# Installs everything the test suite needs: the project with all extras and pytest,
# and Chromium with its driver (Debian's chromium, chromium-driver) for the report tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test]"
if ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi
