#!/usr/bin/env bash
# Renders seed 000's HTML report and takes a headless Chromium screenshot of it:
# docs/report-000.png (1400 x 2000), which shows the timeline and the checkpoint duration chart
# before and after the runtime re-tune.
#
# Usage: scripts/screenshot-report.sh [scenario] [png]
#   defaults: scenarios/seeds/000-dynamic-tuning.toml docs/report-000.png
# Installs Debian's `chromium` (apt-get) when it is missing; needs root for that.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario="${1:-scenarios/seeds/000-dynamic-tuning.toml}"
png="${2:-docs/report-000.png}"

if ! command -v chromium >/dev/null 2>&1; then
  apt-get update
  apt-get install -y chromium
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo run --release --quiet -- report "$scenario" -o "$out/report.html"
mkdir -p "$(dirname "$png")"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d)" \
  --screenshot="$png" --window-size=1400,2000 "file://$out/report.html"
echo "screenshot: $png"
