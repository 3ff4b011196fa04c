#!/bin/bash
# Install kubelet and kubeadm at the IDC cluster's version and join it as a cloud
# GPU worker. Runs on every boot (systemd oneshot); a node that already has a
# kubelet.conf is left alone.
set -euo pipefail
# hybrid:params KUBE_VERSION KUBE_MINOR K8S_APT_MIRROR CERTS_D PAUSE_IMAGE DATA_MOUNT CONF_DIR METADATA PREFLIGHT_PACKAGES TOKEN_FETCH TOKEN_PLACEHOLDER
export DEBIAN_FRONTEND=noninteractive
if [ -f /etc/kubernetes/kubelet.conf ]; then echo "hybrid-join: already joined"; exit 0; fi
if ! mountpoint -q -- "$DATA_MOUNT"; then
  echo "hybrid-join: data disk not mounted; not joining" >&2; exit 1
fi

# Instance facts from the metadata service, in security-hardening mode: a session token
# first (PUT, TTL header), then every read carries it. Works whether or not the instance
# enforces the mode (http_tokens=required).
MD_TOKEN=$(curl -fsS --retry 10 --retry-connrefused -X PUT \
  -H "X-aliyun-ecs-metadata-token-ttl-seconds: 300" "$METADATA/latest/api/token")
meta() { curl -fsS --retry 10 -H "X-aliyun-ecs-metadata-token: $MD_TOKEN" "$METADATA/latest/meta-data/$1"; }
REGION=$(meta region-id)
ZONE=$(meta zone-id)
INSTANCE_ID=$(meta instance-id)
INSTANCE_TYPE=$(meta instance/instance-type)
HOST=$(hostname)
PROVIDER_ID="$REGION.$INSTANCE_ID"
# A node ACK created for an elastic pool takes the provider id the cluster gave it (the node
# script wrote it here from ALIBABA_CLOUD_PROVIDER_ID).
if [ -s "$CONF_DIR/provider-id" ]; then PROVIDER_ID=$(<"$CONF_DIR/provider-id"); fi
# These go into sed and YAML below: accept only the shapes the metadata service returns.
for v in "$REGION" "$ZONE" "$INSTANCE_ID" "$INSTANCE_TYPE" "$PROVIDER_ID" "$HOST"; do
  if ! [[ $v =~ ^[a-z0-9][a-z0-9.-]*$ ]]; then echo "hybrid-join: unexpected metadata value" >&2; exit 1; fi
done

# Kernel prerequisites for kubelet and the CNI (kubeadm preflight reads ip_forward and bridge-nf).
swapoff -a
sed -i '/\sswap\s/d' /etc/fstab
printf 'overlay\nbr_netfilter\n' > /etc/modules-load.d/k8s.conf
modprobe overlay
modprobe br_netfilter
printf 'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\n' \
  > /etc/sysctl.d/90-k8s.conf
sysctl --system >/dev/null

# kubelet/kubeadm pinned to the IDC cluster's version, and the tools kubeadm's preflight
# requires on this version that the packages do not pull in.
install -d -m 0755 /etc/apt/keyrings
curl -fsSL "$K8S_APT_MIRROR/v$KUBE_MINOR/deb/Release.key" | gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes.gpg
printf 'deb [signed-by=/etc/apt/keyrings/kubernetes.gpg] %s/v%s/deb/ /\n' "$K8S_APT_MIRROR" "$KUBE_MINOR" \
  > /etc/apt/sources.list.d/kubernetes.list
apt-get update -q
apt-get install -y -q "kubelet=$KUBE_VERSION-*" "kubeadm=$KUBE_VERSION-*" "${PREFLIGHT_PACKAGES[@]}"
apt-mark hold kubelet kubeadm

# containerd: systemd cgroups, the pause image from the regional VPC registry, registry hosts
# from CERTS_D (one hosts.toml per registry: the mirrors the VPC reaches), and the NVIDIA
# runtime as the default runtime, so the device plugin and GPU pods see the GPUs.
mkdir -p /etc/containerd
containerd config default > /etc/containerd/config.toml
sed -i -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
  -e "s#sandbox_image = .*#sandbox_image = \"${PAUSE_IMAGE//@REGION@/$REGION}\"#" \
  -e "s#config_path = \"\"#config_path = \"$CERTS_D\"#" /etc/containerd/config.toml
# Without config_path containerd ignores the hosts.toml files and pulls from the upstreams.
if ! grep -qF "config_path = \"$CERTS_D\"" /etc/containerd/config.toml; then
  echo "hybrid-join: containerd's default config has no registry config_path to set" >&2; exit 1
fi
nvidia-ctk runtime configure --runtime=containerd --set-as-default
systemctl restart containerd

# The join token: read now with the instance RAM role (never in user-data or the node script).
# It reaches the configuration through a pipe, never a command line, and the file is owner-only.
JOIN_TOKEN=$("$TOKEN_FETCH")
if ! [[ $JOIN_TOKEN =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]]; then echo "hybrid-join: no kubeadm token from $TOKEN_FETCH" >&2; exit 1; fi

# The join configuration and the kubelet patch carry the instance facts.
TEMPLATE=$(<"$CONF_DIR/kubeadm-join.yaml.tmpl")
(umask 077; printf '%s\n' "${TEMPLATE//"$TOKEN_PLACEHOLDER"/$JOIN_TOKEN}" \
  | sed -e "s/@REGION@/$REGION/g" -e "s/@ZONE@/$ZONE/g" -e "s/@INSTANCE_ID@/$INSTANCE_ID/g" \
    -e "s/@INSTANCE_TYPE@/$INSTANCE_TYPE/g" -e "s/@HOSTNAME@/$HOST/g" > "$CONF_DIR/kubeadm-join.yaml")
unset JOIN_TOKEN TEMPLATE
chmod 0600 "$CONF_DIR/kubeadm-join.yaml"
install -d -m 0700 "$CONF_DIR/kubeadm-patches"
printf 'providerID: %s\n' "$PROVIDER_ID" > "$CONF_DIR/kubeadm-patches/kubeletconfiguration+merge.yaml"
kubeadm join --config "$CONF_DIR/kubeadm-join.yaml"
# Joined: drop the configuration that holds the token (the template holds none).
rm -f "$CONF_DIR/kubeadm-join.yaml"
echo "hybrid-join: joined as $PROVIDER_ID ($ZONE, $INSTANCE_TYPE)"
