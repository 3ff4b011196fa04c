"""Read a stack's config file the way the Pulumi CLI would hand it to the program."""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from hybrid import regions, safeload
from hybrid.errors import ConfigError, ConfigIssue
from hybrid.model import OPTIONAL_SECRET_KEYS, SECRET_KEYS, Platform
from hybrid.model.platform import RETIRED_FIX, RETIRED_KEYS
from hybrid.stack import load_platform
from hybrid.model.identity import required_secrets

# A stack name becomes a file name (Pulumi.<stack>.yaml) and a directory under --out:
# no separators, no dots, no leading '-', bounded length.
STACK_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def check_stack_name(stack: str) -> str:
    if not isinstance(stack, str) or not STACK_RE.fullmatch(stack):
        text = str(stack)
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise ConfigError([ConfigIssue("--stack", f"{shown!r} is not a stack name.",
                                       "use 1-63 lower-case letters, digits and '-', starting with a letter or digit (e.g. dev, prod).")])
    return stack

# Offline stand-ins for the kubeconfig paths (hybrid.model.KUBECONFIG_ENV): the plan sets them for
# the run whatever the caller's environment holds, so the artifacts do not depend on it.
OFFLINE_KUBECONFIGS = {
    "HYBRID_IDC_KUBECONFIG": "/offline/hybrid-idc.kubeconfig",
    "HYBRID_FLEET_KUBECONFIG": "/offline/hybrid-fleet.kubeconfig",
}


@contextlib.contextmanager
def offline_kubeconfigs():
    saved = {k: os.environ.get(k) for k in OFFLINE_KUBECONFIGS}
    os.environ.update(OFFLINE_KUBECONFIGS)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# Offline stand-ins for the secret config a real stack sets with `pulumi config set --secret`.
# They have the right shape (so renderers accept them) and never leave the mock runtime
# unredacted: every artifact shows them as "[secret]".
OFFLINE_SECRETS = {
    "caCertHash": "sha256:" + "0" * 64,
    "addonAccessKeyId": "LTAIofflineplaceholder",
    "addonAccessKeySecret": "offline-placeholder-addon-ak-secret",
    "terwayAccessKeyId": "LTAIofflineplaceholder",
    "terwayAccessKeySecret": "offline-placeholder-terway-ak-secret",
    "terwayCredentialFile": "offline-placeholder-credential-file",
}


@dataclass
class StackConfig:
    project: str
    stack: str
    program: Path
    raw: dict[str, Any]          # project-namespaced keys without the namespace
    engine_config: dict[str, str]  # "ns:key" -> string, as the engine passes it
    secret_keys: list[str]
    # load(raw), made here to find the secrets the settings need; None when raw is invalid
    # (load(raw) then raises the ConfigError naming every problem).
    platform: Optional[Platform] = None
    # Secret keys the stack file itself holds (`secure:` values); the others are offline stand-ins.
    declared_secrets: tuple[str, ...] = ()


def project_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "Pulumi.yaml").is_file():
            return d
    raise FileNotFoundError("no Pulumi.yaml in this directory or above; run from the project checkout")


def read_stack(stack: str, root: Path | None = None, config_file: Path | None = None) -> StackConfig:
    check_stack_name(stack)
    root = root or project_root()
    project_doc = safeload.load_yaml(root / "Pulumi.yaml")
    project = project_doc["name"]
    path = config_file or root / project_doc.get("stackConfigDir", ".") / f"Pulumi.{stack}.yaml"
    if config_file is not None and config_file.is_dir():
        raise ConfigError([ConfigIssue("--config", f"{path} is a directory, not a stack config file.",
                                       "pass the Pulumi.<stack>.yaml file itself.")])
    if config_file is not None and not path.is_file():
        raise ConfigError([ConfigIssue("--config", f"no such file {path}.", "pass an existing stack config file, or leave --config out to use stacks/Pulumi.<stack>.yaml.")])
    if not path.is_file():
        raise ConfigError([ConfigIssue("--stack", f"no config file {path} for stack {stack!r}.", "create it or pick an existing stack (dev, prod).")])
    doc = safeload.load_yaml(path)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError([ConfigIssue("<root>", f"the top level of {path} is a {_kind(doc)}, not a mapping.",
                                       "start the file with `config:` and the stack's keys under it.")])
    config = doc.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ConfigError([ConfigIssue("config", f"is a {_kind(config)}, not a mapping ({path}).",
                                       "put the stack's keys under config:, e.g. config: {hybrid-gpu-platform:environment: dev}.")])
    engine: dict[str, str] = {}
    raw: dict[str, Any] = {}
    secret_keys: list[str] = []
    issues: list[ConfigIssue] = []  # every problem of the file at once, with the model's below
    for full_key, value in config.items():
        ns, _, key = full_key.partition(":")
        if not key:
            ns, key = project, full_key
        full = f"{ns}:{key}"
        if ns == project and key in RETIRED_KEYS:
            issues.append(ConfigIssue(key, f"is set, but {RETIRED_KEYS[key]}.", RETIRED_FIX.format(key=key)))
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Encrypted with the stack's secrets provider: not readable offline.
            engine[full] = OFFLINE_SECRETS.get(key, "offline-placeholder")
            secret_keys.append(full)
            continue
        engine[full] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        if ns == project:
            raw[key] = value
        else:
            issues += _check_foreign(full, value)
    for key in (*SECRET_KEYS, *OPTIONAL_SECRET_KEYS):
        full = f"{project}:{key}"
        if key in SECRET_KEYS and full not in engine:
            engine[full] = OFFLINE_SECRETS[key]
            secret_keys.append(full)
        elif full in engine and full not in secret_keys:
            raw.pop(key, None)  # reported here, not again as an unknown key of the model
            issues.append(ConfigIssue(key, "is stored in plain text in the stack file.",
                                      f"remove it and run `pulumi config set --secret {key} ...`."))
    platform = None
    try:
        platform = load_platform(raw)
        needed = required_secrets(platform)
    except ConfigError as err:
        issues += err.issues
        needed = []
    if issues:
        raise ConfigError(issues)  # all of them in one run, before anything runs or is written
    for key in needed:
        full = f"{project}:{key}"
        if full not in engine:
            # Offline, as for the keys above: the operator sets these with `pulumi config set --secret`.
            engine[full] = OFFLINE_SECRETS[key]
            secret_keys.append(full)
    declared = tuple(sorted(k.partition(":")[2] for k, v in config.items()
                            if isinstance(v, dict) and set(v) == {"secure"} and ":" in k))
    return StackConfig(project, stack, root / "__main__.py", raw, engine, sorted(secret_keys), platform, declared)


def _check_foreign(full: str, value: Any) -> list[ConfigIssue]:
    """Keys of other namespaces (the alicloud provider's) go to the engine unmodelled: check what we know."""
    out = []
    if full == "alicloud:region" and not (isinstance(value, str) and regions.known_region(value)):
        import difflib

        close = difflib.get_close_matches(str(value), sorted(regions.REGIONS), n=1, cutoff=0.8) if isinstance(value, str) else []
        out.append(ConfigIssue(f"config.{full}", f"{str(value)[:60]!r} is not an Alibaba Cloud region."
                               + (f" Did you mean {close[0]}?" if close else ""),
                               "use a region id such as cn-beijing (hybrid/regions.py lists them)."))
    if isinstance(value, str) and not value.isprintable():
        out.append(ConfigIssue(f"config.{full}", "contains control characters.", "remove line breaks and other control characters."))
    return out


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), type(value).__name__)
