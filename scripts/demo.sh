#!/usr/bin/env bash
# Installs what is needed (first run), builds, and starts the offline demo: WordPress with the
# BookingX stand-in and our plugin, the sidecar and local fakes of Jitsi, Zoom, Teams (Graph) and Google, with sample bookings.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cd e2e && exec node --import tsx src/demo.ts
