#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, only where missing:
# the lavapipe Vulkan driver (WebGPU on the CPU) and, with --browser (the whole
# test suite), Debian's Chromium, PyTorch (python3-torch: the deep-variant
# fidelity tests compare with PyTorch fp32 and the fp64 reference) and the npm
# packages of the browser tests; then it makes sure the Go
# toolchain of go.mod is here (a fresh machine's Go fetches it once, ~76 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}" GOEXPERIMENT="${GOEXPERIMENT:-simd}"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need=()
for p in mesa-vulkan-drivers libvulkan1; do installed "$p" || need+=("$p"); done
if [ "${1:-}" = "--browser" ]; then
  for p in chromium python3-torch python3-numpy python3-pil; do installed "$p" || need+=("$p"); done
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=900
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=900 "${need[@]}" >/dev/null
fi
if [ "${1:-}" = "--browser" ]; then
  for dir in web bench; do
    if [ -f "$dir/package.json" ] && ! (cd "$dir" && npm ls --depth=0 >/dev/null 2>&1); then
      echo "setup: npm install ($dir/)"
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    fi
  done
fi
if command -v "${GO:-go}" >/dev/null; then
  "${GO:-go}" version >/dev/null || { echo "setup: cannot run Go $GOTOOLCHAIN (the go command fetches it from the module proxy on first use)" >&2; exit 1; }
fi
