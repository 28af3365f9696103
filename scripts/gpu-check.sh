#!/usr/bin/env bash
# The GPU check of issue 13 (see bench/README.md, "GPU check"): our engine with each kernel set
# beside PyTorch CUDA eager fp32 on an NVIDIA machine without network.
#
#   scripts/gpu-check.sh --prepare DIR   on a normal Linux x86-64 machine: puts the CLI (linux/amd64,
#                                        cgo), Debian's libvulkan1 .deb (downloaded, not installed)
#                                        and the PyTorch model code into DIR (no checkpoints)
#   scripts/gpu-check.sh --run DIR       on the GPU machine: unpacks the Vulkan loader into DIR,
#                                        finds the NVIDIA ICD, makes seeded synthetic checkpoints of
#                                        B0, B1 and E1 with PyTorch and prints one table
#
# --run's environment: GPU_CHECK_ICD (an ICD json to use instead of the NVIDIA one, e.g. lavapipe's
# for a dry run; PyTorch then runs on the CPU when it has no CUDA), VK_ICD_FILENAMES /
# VK_DRIVER_FILES (kept when set), PYTHON (python3), and bench/gpu_check.py's GPU_CHECK_VARIANTS,
# GPU_CHECK_BATCHES, GPU_CHECK_RUNS, GPU_CHECK_WARMUP, GPU_CHECK_BUDGET.
set -euo pipefail
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
die() { echo "gpu-check: $*" >&2; exit 1; }

prepare() {
  local dir=$1 root
  root=$(cd "$(dirname "$0")/.." && pwd)
  mkdir -p "$dir/debs"
  dir=$(cd "$dir" && pwd)
  export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}" GOEXPERIMENT="${GOEXPERIMENT:-simd}"
  echo "gpu-check: building the CLI (linux/amd64, cgo)"
  (cd "$root" && CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -trimpath -o "$dir/lowformer" ./cmd/lowformer)
  "$dir/lowformer" bench -h 2>&1 | grep -q -- '-kernels' || die "the CLI has no 'bench -kernels' flag: build from a tree with the kernel sets"
  echo "gpu-check: downloading Debian's libvulkan1 (amd64)"
  local lists=/tmp/gpu-check-apt-lists
  local o=(-o APT::Architecture=amd64 -o APT::Architectures=amd64 -o "Dir::State::Lists=$lists")
  mkdir -p "$lists/partial"
  apt-get "${o[@]}" update -qq >/dev/null || die "apt-get update failed (it needs the network)"
  rm -f "$dir"/debs/*.deb
  (cd "$dir/debs" && apt-get "${o[@]}" download libvulkan1 >/dev/null) || die "apt-get download libvulkan1 failed"
  cp "$root/tools/lowformer_torch.py" "$root/model/testdata/gen_variants.py" "$root/bench/torch_cuda.py" \
    "$root/bench/gpu_check.py" "$dir/"
  cp "$0" "$dir/gpu-check.sh"
  echo "gpu-check: prepared $dir ($(du -sh "$dir" | cut -f1)): $(cd "$dir" && ls | tr '\n' ' ')"
  echo "gpu-check: on the GPU machine: $dir/gpu-check.sh --run $dir"
}

run() {
  local dir
  dir=$(cd "$1" && pwd)
  [ -x "$dir/lowformer" ] || die "$dir/lowformer is missing: run --prepare $dir first"
  "$dir/lowformer" bench -h 2>&1 | grep -q -- '-kernels' || die "$dir/lowformer has no 'bench -kernels' flag: prepare it from a tree with the kernel sets"
  local deb
  deb=$(ls "$dir"/debs/libvulkan1_*.deb 2>/dev/null | head -1) || true
  [ -n "$deb" ] || die "no libvulkan1 .deb in $dir/debs: run --prepare $dir first"
  rm -rf "$dir/vulkan-root" && mkdir -p "$dir/vulkan-root"
  dpkg-deb -x "$deb" "$dir/vulkan-root" || die "dpkg-deb -x $deb failed"
  export LD_LIBRARY_PATH="$dir/vulkan-root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if [ -n "${GPU_CHECK_ICD:-}" ]; then
    [ -f "$GPU_CHECK_ICD" ] || die "GPU_CHECK_ICD=$GPU_CHECK_ICD: no such file"
    export VK_DRIVER_FILES=$GPU_CHECK_ICD VK_ICD_FILENAMES=$GPU_CHECK_ICD
  elif [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
    [ -f "$NVIDIA_ICD" ] || die "no Vulkan ICD: $NVIDIA_ICD is missing and VK_ICD_FILENAMES / VK_DRIVER_FILES are unset"
    export VK_DRIVER_FILES=$NVIDIA_ICD VK_ICD_FILENAMES=$NVIDIA_ICD
  fi
  echo "gpu-check: Vulkan loader $(basename "$deb"), ICD ${VK_DRIVER_FILES:-$VK_ICD_FILENAMES}"
  local py=${PYTHON:-python3}
  "$py" -c 'import torch, numpy' 2>/dev/null || die "$py cannot import torch and numpy"
  "$py" -c 'import torch; print("gpu-check: PyTorch", torch.__version__, "CUDA:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (PyTorch runs on the CPU)")'
  "$dir/lowformer" info 2>/dev/null | grep -i -m2 'adapter\|kernel' || true
  PYTHON=$py "$py" "$dir/gpu_check.py" make "$dir"
  PYTHON=$py "$py" "$dir/gpu_check.py" run "$dir"
}

case "${1:-}" in
  --prepare) [ $# -eq 2 ] || die "usage: $0 --prepare DIR"; prepare "$2" ;;
  --run) [ $# -eq 2 ] || die "usage: $0 --run DIR"; run "$2" ;;
  *) die "usage: $0 --prepare DIR | --run DIR" ;;
esac
