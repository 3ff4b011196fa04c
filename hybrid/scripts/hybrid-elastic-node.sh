#!/bin/bash
# Node script of the elastic GPU pools. ACK runs it on every instance it adds to a node pool
# of the registered cluster, with the node's identity in four environment variables
# (https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/create-a-node-pool,
# "Step 1 (A)"):
#   ALIBABA_CLOUD_PROVIDER_ID  <region>.<instance-id>; required
#   ALIBABA_CLOUD_NODE_NAME    the node name the cluster expects; required
#   ALIBABA_CLOUD_LABELS       key=value,... : ACK's system labels and the node pool's labels
#   ALIBABA_CLOUD_TAINTS       key=value:Effect,... : the node pool's taints
# One script serves every elastic pool (ack-agent-config holds one path): the pool label among
# the labels names the pool, whose bundle holds the same boot files the fixed pools' cloud-init
# writes (driver, data disk, tc, join, preload). The script unpacks it, fills the join
# configuration with the node's identity, installs the node packages and starts the same boot
# units in the same order. HYBRID_ROOT (tests only) prefixes every path written.
set -euo pipefail
# hybrid:params POOLS BUNDLES POOL_LABEL PACKAGES CONF_DIR
ROOT=${HYBRID_ROOT:-}
export DEBIAN_FRONTEND=noninteractive

die() { echo "hybrid-elastic-node: $*" >&2; exit 1; }

# The values go into sed and YAML: only the Kubernetes grammars pass.
KEY_RE='^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'
VALUE_RE='^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$'
provider_id=${ALIBABA_CLOUD_PROVIDER_ID:-}
node_name=${ALIBABA_CLOUD_NODE_NAME:-}
labels=${ALIBABA_CLOUD_LABELS:-}
taints=${ALIBABA_CLOUD_TAINTS:-}
[[ $provider_id =~ ^[a-z0-9-]+\.i-[a-z0-9]+$ ]] || die "ALIBABA_CLOUD_PROVIDER_ID is missing or not <region>.<instance-id>"
[[ $node_name =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ && ${#node_name} -le 253 ]] \
  || die "ALIBABA_CLOUD_NODE_NAME is missing or not a DNS subdomain"

pool='' extra_labels=''
if [ -n "$labels" ]; then
  IFS=, read -ra items <<<"$labels"
  for item in "${items[@]}"; do
    key=${item%%=*} value=${item#*=}
    [[ $item == *=* && $key =~ $KEY_RE && $value =~ $VALUE_RE && ${#value} -le 63 ]] || die "label '$item' is not key=value"
    if [ "$key" = "$POOL_LABEL" ]; then pool=$value; fi
    extra_labels+=",$key=$value"
  done
fi

taint_list=''
if [ -n "$taints" ]; then
  IFS=, read -ra items <<<"$taints"
  for item in "${items[@]}"; do
    effect=${item##*:} kv=${item%:*}
    key=${kv%%=*} value=''
    if [[ $kv == *=* ]]; then value=${kv#*=}; fi
    [[ $item == *:* && $effect =~ ^(NoSchedule|PreferNoSchedule|NoExecute)$ && $key =~ $KEY_RE && $value =~ $VALUE_RE ]] \
      || die "taint '$item' is not key[=value]:Effect"
    taint_list+="${taint_list:+, }{\"key\": \"$key\", \"value\": \"$value\", \"effect\": \"$effect\"}"
  done
fi

index=-1
for i in "${!POOLS[@]}"; do
  if [ "${POOLS[$i]}" = "$pool" ]; then index=$i; fi
done
[ "$index" -ge 0 ] || die "no elastic pool named by label $POOL_LABEL (pools: ${POOLS[*]})"

# The pool's boot files, exactly as a fixed pool's cloud-init writes them.
mkdir -p "$ROOT/"
base64 -d <<<"${BUNDLES[$index]}" | tar -xz --no-same-owner -C "$ROOT/"

# The node's identity into the join configuration and the kubelet's provider id.
conf="$ROOT$CONF_DIR"
# '|' never occurs in the checked values (keys carry '/').
sed -i -e "s|@NODE_NAME@|$node_name|" -e "s|@EXTRA_LABELS@|$extra_labels|" \
  -e "s|'@TAINTS@'|[$taint_list]|" "$conf/kubeadm-join.yaml.tmpl"
printf '%s\n' "$provider_id" > "$conf/provider-id"
install -d -m 0700 "$conf/kubeadm-patches"
printf 'providerID: %s\n' "$provider_id" > "$conf/kubeadm-patches/kubeletconfiguration+merge.yaml"

# apt and names as a fixed pool's cloud-init sets them: the Ubuntu mirror the VPC reaches
# (the image's own sources replaced), the IDC host entries, then the packages.
mirror=$(<"$conf/ubuntu-mirror")
codename=$(sed -n 's/^VERSION_CODENAME="\{0,1\}\([a-z]*\)"\{0,1\}$/\1/p' /etc/os-release)
[[ $codename =~ ^[a-z]+$ ]] || die "no release codename in /etc/os-release"
rm -f "$ROOT/etc/apt/sources.list.d/ubuntu.sources"
printf 'deb %s %s main restricted universe multiverse\ndeb %s %s-updates main restricted universe multiverse\ndeb %s %s-security main restricted universe multiverse\n' \
  "$mirror" "$codename" "$mirror" "$codename" "$mirror" "$codename" > "$ROOT/etc/apt/sources.list"
if [ -f "$conf/hosts" ] && ! grep -qxF "$(head -n1 "$conf/hosts")" "$ROOT/etc/hosts"; then
  cat "$conf/hosts" >> "$ROOT/etc/hosts"
fi
apt-get update -q
apt-get install -y -q "${PACKAGES[@]}"
systemctl daemon-reload
while read -ra step; do
  [ ${#step[@]} -gt 0 ] || continue
  systemctl enable "${step[@]}"
done < "$conf/elastic/boot-steps"
echo "hybrid-elastic-node: $node_name ($provider_id) of pool $pool: boot units started"
