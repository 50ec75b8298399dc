#!/usr/bin/env bash
# Installs everything the test suite needs into the active Python: the project with all extras and
# the test tools at the versions in tests/constraints.txt (what CI last passed with), and Debian's
# chromium and chromium-driver for the report tests, melt (renders the Kdenlive and Shotcut projects) and
# ffmpeg (makes recordings with a start timecode) for the editor tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -c tests/constraints.txt -e ".[test]"

# apt waits for another apt or an unattended upgrade instead of failing at once (exit 100).
apt_wait() {
    local tries
    for tries in 1 2 3 4 5 6 7 8 9 10; do
        apt-get -o DPkg::Lock::Timeout=120 "$@" && return 0
        echo "tests/install.sh: apt-get $1 failed (try $tries of 10); waiting for the package lock" >&2
        sleep 15
    done
    return 1
}
if ! { command -v chromium && command -v chromedriver && command -v melt && command -v ffmpeg; } >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt_wait update -qq && apt_wait install -y -qq chromium chromium-driver melt ffmpeg >/dev/null
fi
