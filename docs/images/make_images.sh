#!/usr/bin/env bash
# Makes the README's pictures from the samples: report.jpg (a headless Chromium
# screenshot of report.html) and contact_sheet.jpg (court.mp4's contact sheet).
# Run from the repository root, in the set-up's virtual environment, with chromium installed.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python samples/make_samples.py "$work/samples" >/dev/null
highlight run "$work/samples" --out "$work/highlights" --slowmo 0.5 -q >/dev/null
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,900 \
    --screenshot="$work/report.png" "file://$work/highlights/report.html" 2>/dev/null
python - "$work" <<'PY'
import sys
from PIL import Image

work = sys.argv[1]
Image.open(f"{work}/report.png").convert("RGB").resize((880, 720), Image.LANCZOS).save(
    "docs/images/report.jpg", quality=80, optimize=True
)
Image.open(f"{work}/highlights/court/contact_sheet.jpg").save("docs/images/contact_sheet.jpg", quality=80, optimize=True)
PY
