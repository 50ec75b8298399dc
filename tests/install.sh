#!/usr/bin/env bash
# Installs everything the test suite needs into the active Python: the project with all extras and
# the test tools at the versions in tests/constraints.txt (what CI last passed with), and Debian's
# chromium and chromium-driver for the report tests, melt (renders the Kdenlive and Shotcut projects) and
# ffmpeg (makes recordings with a start timecode) for the editor tests, and .venv-bpy: Blender as a Python
# module (bpy from PyPI, which needs Python 3.11, numpy<2 and a few X libraries even headless) for the
# Blender add-on's tests. Safe to run again.
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
blender_libraries="libgl1 libsm6 libxi6 libxkbcommon0 libxrender1 libxfixes3 libxext6 libx11-6"
# shellcheck disable=SC2086
if ! { command -v chromium && command -v chromedriver && command -v melt && command -v ffmpeg \
    && dpkg -s $blender_libraries; } >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt_wait update -qq && apt_wait install -y -qq chromium chromium-driver melt ffmpeg $blender_libraries >/dev/null
fi

# bpy 5.0.1's wheel is for CPython 3.11 only; its own venv keeps numpy<2 away from the project's.
python311="$(command -v python3.11 || true)"
if [ -z "$python311" ] && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python311="$(command -v python3)"
fi
if [ -z "$python311" ]; then
    echo "tests/install.sh: no Python 3.11 for bpy; the Blender add-on tests will say so" >&2
elif ! .venv-bpy/bin/python -c "import bpy" >/dev/null 2>&1; then
    rm -rf .venv-bpy
    "$python311" -m venv .venv-bpy
    .venv-bpy/bin/python -m pip install -q "bpy==5.0.1" "numpy==1.26.4"
fi
