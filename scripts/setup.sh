#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, only where missing:
# the lavapipe Vulkan driver (WebGPU on the CPU) and, with --browser, Debian's
# Chromium and the npm packages of the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || [ -n "$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json 2>/dev/null)" ] || need+=(mesa-vulkan-drivers)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || need+=(libvulkan1)
if [ "${1:-}" = "--browser" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=900
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=900 "${need[@]}" >/dev/null
fi
if [ "${1:-}" = "--browser" ] && [ -f web/package.json ] && [ ! -d web/node_modules/playwright-core ]; then
  echo "setup: npm install (web/)"
  (cd web && npm install --no-audit --no-fund --loglevel=error)
fi
