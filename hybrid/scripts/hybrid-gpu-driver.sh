#!/bin/bash
# Make the node's GPUs usable by containers: the NVIDIA driver and the NVIDIA
# container toolkit (nvidia-ctk, the runtime containerd is pointed at by hybrid-join).
#   DRIVER_SOURCE=image  : the image ships the driver; check that it works.
#   DRIVER_SOURCE=install: install the pinned server driver branch and the headers of
#                          the running kernel from the image's apt mirrors (DKMS builds
#                          the module, and rebuilds it after a kernel update).
# The toolkit is installed at TOOLKIT_VERSION from TOOLKIT_APT_REPO unless that version
# is present. Runs on every boot (systemd oneshot): what is in place is left alone.
set -euo pipefail
# hybrid:params DRIVER_SOURCE DRIVER_BRANCH EXPECT_GPUS TOOLKIT_VERSION TOOLKIT_APT_REPO TOOLKIT_GPG_KEY STATE_DIR
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$STATE_DIR"

gpu_count() {  # GPUs the driver sees; 0 when the driver is not working
  local out
  out=$(nvidia-smi -L 2>/dev/null) || { echo 0; return; }
  grep -c '^GPU ' <<<"$out" || true
}

if [ "$(gpu_count)" -eq 0 ]; then
  case $DRIVER_SOURCE in
    image)
      echo "hybrid-gpu-driver: the image should ship the NVIDIA driver ($DRIVER_BRANCH) but nvidia-smi sees no GPU" >&2
      exit 1 ;;
    install)
      if ! dpkg-query -W -f='${Status}' "nvidia-driver-${DRIVER_BRANCH}-server" 2>/dev/null | grep -q 'ok installed'; then
        apt-get update -q
        apt-get install -y -q "linux-headers-$(uname -r)" "nvidia-driver-${DRIVER_BRANCH}-server" \
          "nvidia-utils-${DRIVER_BRANCH}-server"
        apt-mark hold "nvidia-driver-${DRIVER_BRANCH}-server" "nvidia-utils-${DRIVER_BRANCH}-server"
      fi
      modprobe nvidia 2>/dev/null || true
      if [ "$(gpu_count)" -eq 0 ]; then
        # nouveau holds the GPUs until a reboot (the driver package blacklists it): reboot once.
        if [ -e "$STATE_DIR/rebooted-for-driver" ]; then
          echo "hybrid-gpu-driver: driver $DRIVER_BRANCH installed but no GPU visible after a reboot" >&2
          exit 1
        fi
        touch "$STATE_DIR/rebooted-for-driver"
        echo "hybrid-gpu-driver: rebooting once to load the NVIDIA driver" >&2
        systemctl --no-block reboot
        exit 1
      fi ;;
    *)
      echo "hybrid-gpu-driver: unknown driver source" >&2
      exit 1 ;;
  esac
fi
seen=$(gpu_count)
if [ "$seen" -ne "$EXPECT_GPUS" ]; then
  echo "hybrid-gpu-driver: nvidia-smi sees $seen GPU(s), the instance type has $EXPECT_GPUS" >&2
  exit 1
fi

have=$(nvidia-ctk --version 2>/dev/null || true)
if ! grep -qF "version $TOOLKIT_VERSION" <<<"$have"; then
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL "$TOOLKIT_GPG_KEY" | gpg --dearmor --yes -o /etc/apt/keyrings/nvidia-container-toolkit.gpg
  printf 'deb [signed-by=/etc/apt/keyrings/nvidia-container-toolkit.gpg] %s /\n' "$TOOLKIT_APT_REPO" \
    > /etc/apt/sources.list.d/nvidia-container-toolkit.list
  apt-get update -q
  apt-get install -y -q --allow-change-held-packages \
    "nvidia-container-toolkit=${TOOLKIT_VERSION}-1" "nvidia-container-toolkit-base=${TOOLKIT_VERSION}-1" \
    "libnvidia-container-tools=${TOOLKIT_VERSION}-1" "libnvidia-container1=${TOOLKIT_VERSION}-1"
  apt-mark hold nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools libnvidia-container1
fi
echo "hybrid-gpu-driver: $seen GPU(s), driver $DRIVER_BRANCH ($DRIVER_SOURCE), container toolkit $TOOLKIT_VERSION"
