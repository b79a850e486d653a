#!/usr/bin/env bash
# Installs what this project needs on a fresh Debian 12 machine (as root): PHP, Debian's WordPress
# 6.1.9, Chromium, ffmpeg, coturn; pnpm 9; the workspace dependencies; then builds everything.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

need_apt=()
for bin in php chromium janus; do command -v "$bin" >/dev/null 2>&1 || need_apt+=("$bin"); done
[ -d /usr/share/wordpress ] || need_apt+=(wordpress)
php -m 2>/dev/null | grep -qi mysqli || need_apt+=(php-mysql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== Installing system packages (about a minute)"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends php-cli php-mysql php-curl php-xml php-mbstring \
    wordpress wordpress-theme-twentytwentythree chromium ffmpeg coturn iproute2 zip janus >/dev/null
fi
command -v zip >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends zip >/dev/null

if ! command -v pnpm >/dev/null 2>&1; then
  echo "== Installing pnpm 9.15.9"
  npm i -g pnpm@9.15.9 >/dev/null
fi

if ! mysqladmin -h127.0.0.1 -uroot ping >/dev/null 2>&1; then
  echo "== Starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 30); do mysqladmin -h127.0.0.1 -uroot ping >/dev/null 2>&1 && break; sleep 1; done
fi

echo "== Installing workspace dependencies"
pnpm install --frozen-lockfile --reporter=silent

echo "== Building blocks, admin app and sidecar"
pnpm run -s build >/dev/null
echo "== Setup done"
