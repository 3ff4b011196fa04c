"""hybrid_tools/init_stack.py ``missing``: what ``hybrid-gpu plan`` says the real run still lacks.

Expectations from the stack file and the tools' own documents: dev declares no secret
(stacks/Pulumi.dev.yaml) and runs ack-virtual-node with addonSecret credentials, so it needs
caCertHash and the addon's AccessKey pair; a secret is set with
``pulumi config set --secret <key> <value>`` (Pulumi CLI reference, "pulumi config set"); the CA
hash is the sha256 of the IDC CA's public key in DER (kubeadm join reference, "--discovery-token-ca-cert-hash").
"""

from __future__ import annotations

from hybrid_tools.init_stack import missing
from hybrid_tools.stackconfig import read_stack

ENV = ("HYBRID_IDC_KUBECONFIG", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "ALIBABA_CLOUD_ACCESS_KEY_ID",
       "ALIBABA_CLOUD_ACCESS_KEY_SECRET")


def test_each_missing_secret_line_names_the_command_that_sets_it():
    cfg = read_stack("dev")
    lines = missing(cfg, cfg.platform, {v: "set" for v in ENV})
    by_key = {line.split()[2]: line for line in lines}
    assert sorted(by_key) == ["addonAccessKeyId", "addonAccessKeySecret", "caCertHash"]
    assert by_key["addonAccessKeyId"].endswith("): pulumi config set --secret addonAccessKeyId <value>")
    assert by_key["addonAccessKeySecret"].endswith("): pulumi config set --secret addonAccessKeySecret <value>")
    ca = by_key["caCertHash"]
    assert ca.startswith("missing secret caCertHash (") and "): pulumi config set --secret caCertHash \"sha256:$(" in ca
    assert "openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt" in ca and "-outform der" in ca


def test_without_an_environment_given_the_process_environment_is_read(monkeypatch):
    cfg = read_stack("dev")
    for var in ENV:
        monkeypatch.setenv(var, "x")
    assert not any(line.startswith("missing env ") for line in missing(cfg, cfg.platform))
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")  # set but empty: still missing
    envs = [line.split()[2] for line in missing(cfg, cfg.platform) if line.startswith("missing env ")]
    assert envs == ["PULUMI_CONFIG_PASSPHRASE", "ALIBABA_CLOUD_ACCESS_KEY_ID"]
