#!/bin/bash
# Make the node's GPUs usable by containers: the NVIDIA driver and the NVIDIA
# container toolkit (nvidia-ctk, the runtime containerd is pointed at by hybrid-join).
#   DRIVER_SOURCE=image  : the image ships the driver; check that it works.
#   DRIVER_SOURCE=install: install the pinned server driver branch and the headers of
#                          the running kernel (DKMS builds the module), then hold the
#                          kernel packages, so no update boots a kernel without a module;
#                          a kernel that runs without one anyway (an operator's upgrade) gets
#                          its headers and a DKMS build on the next boot.
# The toolkit is installed at TOOLKIT_VERSION from TOOLKIT_APT_REPO unless that version
# is present; then /dev/char symlinks for every NVIDIA device (NVIDIA/nvidia-container-toolkit#48:
# with systemd cgroups, a `systemctl daemon-reload` otherwise detaches the GPUs from running
# containers), re-created by the udev rule UDEV_DEV_CHAR_RULE whenever the driver binds.
# Runs on every boot (systemd oneshot): what is in place is left alone.
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
      kernel=$(uname -r)
      if ! dpkg-query -W -f='${Status}' "nvidia-driver-${DRIVER_BRANCH}-server" 2>/dev/null | grep -q 'ok installed'; then
        apt-get update -q
        apt-get install -y -q "linux-headers-$kernel" "nvidia-driver-${DRIVER_BRANCH}-server" \
          "nvidia-utils-${DRIVER_BRANCH}-server"
        apt-mark hold "nvidia-driver-${DRIVER_BRANCH}-server" "nvidia-utils-${DRIVER_BRANCH}-server"
      elif ! dpkg-query -W -f='${Status}' "linux-headers-$kernel" 2>/dev/null | grep -q 'ok installed'; then
        # The driver is there but this kernel came later: its headers, then DKMS builds the module.
        apt-get update -q
        apt-get install -y -q "linux-headers-$kernel"
        dkms autoinstall -k "$kernel"
      fi
      # Hold the kernel the module was built for: meta packages would otherwise pull a newer one.
      mapfile -t kernel_pkgs < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
        'linux-image-*' 'linux-headers-*' 'linux-modules-*' 'linux-generic*' 'linux-virtual*' 'linux-kvm*' 2>/dev/null \
        | awk '$1 == "ii" {print $2}')
      if [ ${#kernel_pkgs[@]} -gt 0 ]; then apt-mark hold "${kernel_pkgs[@]}" >/dev/null; fi
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
# The driver works: a later failure (a new kernel) may reboot once again.
rm -f "$STATE_DIR/rebooted-for-driver"

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
# toolkit >= 1.12 (NVIDIA/nvidia-docker#1671, the workaround NVIDIA/nvidia-container-toolkit#48 points to);
# the udev rule repeats it when the driver binds again.
nvidia-ctk system create-dev-char-symlinks --create-all
echo "hybrid-gpu-driver: $seen GPU(s), driver $DRIVER_BRANCH ($DRIVER_SOURCE), container toolkit $TOOLKIT_VERSION"
