"""``hybrid-gpu init STACK --from dev``: a new stack from an existing one, and what it needs to run for real.

Writes ``stacks/Pulumi.<STACK>.yaml`` (the source stack's config without its encrypted values,
which only the source stack's passphrase opens) and ``policy/config/<STACK>.json`` (the source's
decisions with this stack's facts), then prints the secret config and environment variables
``pulumi preview`` / ``pulumi up`` need. ``hybrid-gpu plan`` checks the same list and prints one
line for each one that is missing (:func:`missing`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import yaml

from hybrid import safeload
from hybrid.errors import ConfigError, ConfigIssue
from hybrid.model import KUBECONFIG_ENV, SECRET_KEYS, Platform
from hybrid.model.identity import CONDITIONAL_SECRET_KEYS, required_secrets
from hybrid_tools import policy_config
from hybrid_tools.errors import InputError
from hybrid_tools.stackconfig import StackConfig, check_stack_name, project_root, read_stack

# The TTL docs/operations.md recommends ("Rotate the join token"): long enough for elastic scale-outs between rotations.
JOIN_TOKEN_TTL = "720h"
# How an operator sets each secret (README "For real" is the walk-through).
HOW = {
    "caCertHash": "pulumi config set --secret caCertHash \"sha256:$(openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt "
                  "| openssl rsa -pubin -outform der 2>/dev/null | sha256sum | cut -d' ' -f1)\"",
}
# What the Pulumi CLI and the providers read from the environment (docs/pipeline.md).
PULUMI_ENV = {
    "PULUMI_BACKEND_URL": "the state backend (the OSS bucket's s3:// URL; README)",
    "PULUMI_CONFIG_PASSPHRASE": "this stack's secrets passphrase",
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "Alibaba Cloud credentials of the deploying identity (or a RAM role / profile)",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "the AccessKey secret of that identity",
}


def secrets_needed(platform: Platform) -> dict[str, str]:
    """Secret config key -> what it holds, for this platform's settings."""
    out = dict(SECRET_KEYS)
    out.update({k: CONDITIONAL_SECRET_KEYS[k] for k in required_secrets(platform)})
    return out


def env_needed(platform: Platform) -> dict[str, str]:
    out = {"HYBRID_IDC_KUBECONFIG": KUBECONFIG_ENV["HYBRID_IDC_KUBECONFIG"]}
    if platform.registration.fleet.enabled and platform.registration.fleet.apply:
        out["HYBRID_FLEET_KUBECONFIG"] = KUBECONFIG_ENV["HYBRID_FLEET_KUBECONFIG"]
    out.update(PULUMI_ENV)
    return out


def _how(key: str) -> str:
    return HOW.get(key, f"pulumi config set --secret {key} <value>")


def missing(cfg: StackConfig, platform: Platform, environ: Mapping[str, str] | None = None) -> list[str]:
    """One line per secret the stack file lacks and per environment variable unset, for the real run."""
    env = os.environ if environ is None else environ
    lines = [f"missing secret {key} ({what}): {_how(key)}"
             for key, what in secrets_needed(platform).items() if key not in cfg.declared_secrets]
    lines += [f"missing env {var} ({what})" for var, what in env_needed(platform).items() if not env.get(var)]
    return lines


def _strip_secrets(doc: dict) -> tuple[dict, list[str]]:
    dropped = []
    config = dict(doc.get("config") or {})
    for key, value in list(config.items()):
        if isinstance(value, dict) and set(value) == {"secure"}:
            dropped.append(key)
            del config[key]
    out = {k: v for k, v in doc.items() if k != "encryptionsalt"}
    out["config"] = config
    return out, dropped


def init(stack: str, source: str, root: Path | None = None) -> tuple[list[Path], list[str]]:
    """Write the new stack's files; returns (files written, lines to print)."""
    check_stack_name(stack)
    check_stack_name(source)
    root = root or project_root()
    project_doc = safeload.load_yaml(root / "Pulumi.yaml")
    stacks_dir = root / project_doc.get("stackConfigDir", ".")
    src = stacks_dir / f"Pulumi.{source}.yaml"
    dst = stacks_dir / f"Pulumi.{stack}.yaml"
    pol_dir = root / "policy" / "config"  # policy_config.CONFIG_DIR of this checkout
    pol_src, pol_dst = pol_dir / f"{source}.json", pol_dir / f"{stack}.json"
    if not src.is_file():
        raise ConfigError([ConfigIssue("--from", f"no stack config {src}.", "name an existing stack (dev, prod).")])
    for path in (dst, pol_dst):
        if path.exists():
            raise InputError(f"{path}: exists already. Fix: pick another stack name, or remove the file to start over.")
    cfg = read_stack(source, root)  # the source must be valid: a new stack starts from one that plans
    platform = cfg.platform
    if platform is None:
        raise InputError(f"--from {source}: its stack config does not load. Fix: run `hybrid-gpu plan --stack {source}` and fix what it names.")
    doc = safeload.load_yaml(src) or {}
    stripped, dropped = _strip_secrets(doc)
    header = (f"# Stack {stack}, made by `hybrid-gpu init {stack} --from {source}`. Change the IDC, regions and pools below;\n"
              f"# `hybrid-gpu plan --stack {stack}` checks every field and prints what the real run still needs.\n")
    if dropped:
        body = yaml.safe_dump(stripped, sort_keys=False, allow_unicode=True, default_flow_style=False)
        text = header + body
    else:
        text = header + src.read_text(encoding="utf-8")  # comments kept: the source holds no encrypted value
    decisions = policy_config.load(pol_src)
    policy_text = policy_config.render(policy_config.effective(decisions, platform))
    dst.write_text(text, encoding="utf-8")
    pol_dst.write_text(policy_text, encoding="utf-8")
    lines = [f"created {dst.relative_to(root)} (from {src.relative_to(root)})",
             f"created {pol_dst.relative_to(root)} (the decisions of {pol_src.name}, this stack's facts)"]
    if dropped:
        lines.append(f"left out {', '.join(sorted(dropped))}: encrypted with {source}'s passphrase; set them again below")
    lines += ["", "secret config the real run needs (`pulumi stack init`, then):"]
    lines += [f"  {key}: {what}\n    {_how(key)}" for key, what in secrets_needed(platform).items()]
    lines += ["environment variables:"]
    lines += [f"  {var}: {what}" for var, what in env_needed(platform).items()]
    lines += ["", "next:",
              f"  pulumi stack init {stack} --secrets-provider passphrase   # commit the encryptionsalt it writes",
              f"  $EDITOR {dst.relative_to(root)}                   # your IDC, regions, pools, workloads",
              f"  hybrid-gpu policy --stack {stack} --write-config              # after editing: the policy config's facts follow the stack",
              f"  hybrid-gpu plan --stack {stack}                              # offline: every field checked, the policy gate, missing secrets",
              "  git add stacks/ policy/config/   # CI picks the stack up from stacks/ (no workflow edit)",
              "", "the join token (never in stack config: nodes read it from their region's OSS object), after the first `pulumi up`:",
              f"  kubeadm token create --ttl {JOIN_TOKEN_TTL} | hybrid-gpu join-token put --stack {stack}   # on the IDC control plane"]
    return [dst, pol_dst], lines
