#!/bin/bash
# Print the kubeadm join token on stdout: read with the instance's RAM role from the private
# object of the region's join-token bucket, over the VPC-internal OSS endpoint.
#
# 1. STS credentials of the instance RAM role from the metadata service, in security-hardening
#    mode (a session token first): GET /latest/meta-data/ram/security-credentials/ names the
#    role, GET .../<role> returns {AccessKeyId, AccessKeySecret, SecurityToken, Expiration,
#    Code: "Success"} (Alibaba ECS "Obtain a temporary authorization token",
#    alibabacloud.com/help/en/ecs/user-guide/obtain-a-temporary-authorization-token; the same
#    two requests as alibabacloud-credentials 1.0.12 provider/ecs_ram_role.py).
# 2. GET https://<bucket>.oss-<region>-internal.aliyuncs.com/<key>, signed with OSS's header
#    signature V1 (alibabacloud.com/help/en/oss/developer-reference/include-signatures-in-the-authorization-header):
#    Authorization: OSS <AccessKeyId>:base64(hmac-sha1(AccessKeySecret, VERB\nContent-MD5\n
#    Content-Type\nDate\n<x-oss- headers, lower-case, sorted, name:value\n>/<bucket>/<key>)),
#    with the STS token in x-oss-security-token (a signed x-oss- header).
#
# Retries with backoff: at first boot the role attachment, the RAM policy or the object may not
# be there yet. Neither the token nor the credentials reach a log, the journal or a command
# line of curl (headers come from a private file); the HMAC key is openssl's argument for the
# instant it signs, which only the node's own root processes could read (pods cannot see the
# host's processes, and the metadata guard keeps them off the metadata service).
set -euo pipefail
# hybrid:params METADATA OSS_HOST BUCKET KEY ATTEMPTS BACKOFF_S
umask 077
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT

fail() { echo "hybrid-join-token: $*" >&2; exit 1; }
json_field() {  # json_field NAME FILE: a string field of the metadata service's flat JSON
  local re="\"$1\"[[:space:]]*:[[:space:]]*\"([^\"]*)\"" doc
  doc=$(<"$2")
  if [[ $doc =~ $re ]]; then printf '%s' "${BASH_REMATCH[1]}"; fi
}

attempt() {
  # One try; returns 0 with the token in $WORK/token, or 1 with the reason in $WORK/reason.
  local md_token role code date sts_id sts_secret sts_token sig
  if ! md_token=$(curl -fsS --max-time 10 -X PUT -H "X-aliyun-ecs-metadata-token-ttl-seconds: 300" "$METADATA/latest/api/token"); then
    echo "the metadata service at $METADATA gave no session token" > "$WORK/reason"; return 1
  fi
  printf 'X-aliyun-ecs-metadata-token: %s\n' "$md_token" > "$WORK/md-headers"
  if ! role=$(curl -fsS --max-time 10 -H @"$WORK/md-headers" "$METADATA/latest/meta-data/ram/security-credentials/") || [ -z "$role" ]; then
    echo "the instance has no RAM role (metadata ram/security-credentials/ is empty): attach the region's GPU node role" \
      "(identity.nodeRole, or the pool's ramRole) and let pulumi up finish" > "$WORK/reason"; return 1
  fi
  role=${role%%$'\n'*}
  if ! [[ $role =~ ^[A-Za-z0-9._-]+$ ]]; then echo "unexpected RAM role name from the metadata service" > "$WORK/reason"; return 1; fi
  if ! curl -fsS --max-time 10 -H @"$WORK/md-headers" -o "$WORK/sts" "$METADATA/latest/meta-data/ram/security-credentials/$role"; then
    echo "no credentials for RAM role $role from the metadata service" > "$WORK/reason"; return 1
  fi
  if [ "$(json_field Code "$WORK/sts")" != Success ]; then
    echo "the metadata service's credentials for RAM role $role are not Code: Success" > "$WORK/reason"; return 1
  fi
  sts_id=$(json_field AccessKeyId "$WORK/sts")
  sts_secret=$(json_field AccessKeySecret "$WORK/sts")
  sts_token=$(json_field SecurityToken "$WORK/sts")
  if [ -z "$sts_id" ] || [ -z "$sts_secret" ] || [ -z "$sts_token" ]; then
    echo "the credentials of RAM role $role lack AccessKeyId, AccessKeySecret or SecurityToken" > "$WORK/reason"; return 1
  fi
  date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
  # VERB, Content-MD5 (none), Content-Type (none), Date, the one x-oss- header, the resource.
  sig=$(printf 'GET\n\n\n%s\nx-oss-security-token:%s\n/%s/%s' "$date" "$sts_token" "$BUCKET" "$KEY" \
    | openssl dgst -sha1 -hmac "$sts_secret" -binary | openssl base64 -A)
  printf 'Date: %s\nx-oss-security-token: %s\nAuthorization: OSS %s:%s\n' "$date" "$sts_token" "$sts_id" "$sig" > "$WORK/oss-headers"
  code=$(curl -sS --max-time 20 -o "$WORK/body" -w '%{http_code}' -H @"$WORK/oss-headers" "https://$OSS_HOST/$KEY") || code=000
  case $code in
    200)
      local token
      token=$(<"$WORK/body")
      token=${token%$'\n'}
      if ! [[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]]; then
        echo "oss://$BUCKET/$KEY does not hold a kubeadm token (abcdef.0123456789abcdef): write it with" \
          "\`hybrid-gpu join-token put --stack <stack>\`" > "$WORK/reason"; return 1
      fi
      printf '%s' "$token" > "$WORK/token"; return 0 ;;
    403)
      local err=""
      [[ $(<"$WORK/body") =~ \<Code\>([A-Za-z]+)\</Code\> ]] && err=${BASH_REMATCH[1]}
      echo "OSS refused GET oss://$BUCKET/$KEY for RAM role $role (HTTP 403 ${err:-without an error code}): the role needs" \
        "the join-token read policy on that object (pulumi up attaches it), and the node's clock must be within 15 minutes" \
        "of OSS's" > "$WORK/reason"; return 1 ;;
    404)
      echo "oss://$BUCKET/$KEY does not exist (HTTP 404): write the token with \`hybrid-gpu join-token put --stack <stack>\`" \
        > "$WORK/reason"; return 1 ;;
    *)
      echo "GET https://$OSS_HOST/$KEY failed (HTTP $code): the region's VPC must reach its OSS internal endpoint" \
        "(reachability.json, hybrid-gpu preflight)" > "$WORK/reason"; return 1 ;;
  esac
}

delay=$BACKOFF_S
for ((i = 1; i <= ATTEMPTS; i++)); do
  if attempt; then
    cat "$WORK/token"
    exit 0
  fi
  echo "hybrid-join-token: attempt $i/$ATTEMPTS: $(<"$WORK/reason")" >&2
  if ((i < ATTEMPTS)); then sleep "$delay"; delay=$((delay * 2 > 60 ? 60 : delay * 2)); fi
done
fail "no join token after $ATTEMPTS attempts: $(<"$WORK/reason")"
