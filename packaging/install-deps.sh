#!/usr/bin/env bash
# Installs the Debian 12 packages Pipewright needs to build, test and run.
# Idempotent; run as root (or with sudo available). Refreshes the package
# lists itself when they are empty or when a package cannot be found.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache clang-format
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev libxkbcommon-dev
  libopencv-dev libsqlite3-dev libssl-dev zlib1g-dev libtorch-dev
  # build: torch.distributed's Gloo backend for data-parallel training (pipewright-worker --distributed)
  libgloo-dev
  # charts: QCustomPlot for Qt 6 (CMake package QCustomPlotQt6)
  libqcustomplot-dev
  # run: Qt's platform plugins and SVG icon loader
  qt6-image-formats-plugins libqt6svg6
  # test and benchmark: the real Fashion-MNIST set, a display for screenshots, numpy (the shard
  # read-back test), Pillow and PyTorch for the baseline scripts in tests/bench/
  dataset-fashion-mnist xvfb xauth desktop-file-utils appstream file python3 python3-numpy python3-pil python3-torch python3-torchvision
  # export (pipewright models export): ONNX's C++ library for the onnx format (optional at build time) and
  # the readers the export tests check it with (python3-onnx; OpenCV's DNN module comes with libopencv-dev)
  libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx
  # test: libjpeg's own decoder, the reference for the DC-only JPEG decoder (tests/core/imaging/tst_jpegdc)
  libjpeg-dev
  # demo and test: real photographs for `pipewright demo-data photos` and the large-JPEG tests (46 MB;
  # plasma-workspace-wallpapers is 94 MB, python3-skimage pulls in scipy and matplotlib)
  mate-backgrounds
  # test: remote execution over ssh against a real sshd on 127.0.0.1 (tests/SshServer)
  openssh-server openssh-client
  # test: Slurm cluster targets against a real one-node Slurm started by the tests (tests/SlurmCluster)
  slurmctld slurmd slurm-client munge
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed" >&2
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine starts with empty package lists: update before installing.
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
