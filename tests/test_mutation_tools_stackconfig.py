"""hybrid_tools/stackconfig.py: reading a stack file the way the Pulumi CLI hands it to the program,
called directly on stack files written under tmp_path (no subprocess).

Expectations worked by hand from the files written here and from Pulumi's behaviour: the engine gets
every key as ``namespace:key`` with a string value (a structured value as JSON: the Pulumi CLI passes
structured config as JSON text), ``secure:`` values are not readable offline, and a key without a
namespace belongs to the project (Pulumi's config key rule: ``project:key`` is the default).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from hybrid.errors import ConfigError
from hybrid_tools import stackconfig as sc
from tests.conftest import the_issue

ROOT = Path(__file__).resolve().parents[1]
NS = "hybrid-gpu-platform"


def _dev_config() -> dict:
    return yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]


def _root(tmp_path: Path, config=None, text: str | None = None, stack: str = "dev") -> Path:
    """A project checkout under tmp_path: Pulumi.yaml, and stacks/Pulumi.<stack>.yaml holding ``config``."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir(exist_ok=True)
    body = text if text is not None else yaml.safe_dump({"config": config})
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(body)
    return tmp_path


def _issues(tmp_path: Path, **kw) -> list:
    with pytest.raises(ConfigError) as e:
        sc.read_stack(kw.pop("stack", "dev"), _root(tmp_path, **kw), kw.pop("config_file", None))
    return e.value.issues


# --- stack names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["dev", "a", "0", "prod-2", "a" * 63])
def test_stack_names_accepted(name):
    assert sc.check_stack_name(name) == name


@pytest.mark.parametrize("name", ["", "Dev", "-dev", "a.b", "a/b", "../x", "a_b", "dev\n"])
def test_stack_names_refused(name):
    with pytest.raises(ConfigError) as e:
        sc.check_stack_name(name)
    assert the_issue(e) == (
        "--stack", f"{name!r} is not a stack name.",
        "use 1-63 lower-case letters, digits and '-', starting with a letter or digit (e.g. dev, prod).")


def test_a_long_stack_name_is_quoted_to_40_characters():
    with pytest.raises(ConfigError) as e:
        sc.check_stack_name("X" * 41)
    assert e.value.issues[0].message == repr("X" * 40 + "...") + " is not a stack name."
    with pytest.raises(ConfigError) as e:
        sc.check_stack_name("X" * 40)
    assert e.value.issues[0].message == repr("X" * 40) + " is not a stack name."
    with pytest.raises(ConfigError) as e:
        sc.check_stack_name("a" * 64)  # one past the 63 a file and directory name may have here
    assert e.value.issues[0].message == repr("a" * 40 + "...") + " is not a stack name."


def test_a_stack_name_that_is_not_text_is_refused_not_a_crash():
    with pytest.raises(ConfigError) as e:
        sc.check_stack_name(None)
    assert e.value.issues[0].message == "'None' is not a stack name."


# --- offline kubeconfigs and the project root -----------------------------------------------------

def test_offline_kubeconfigs_are_set_inside_and_restored_after(monkeypatch):
    monkeypatch.setenv("HYBRID_IDC_KUBECONFIG", "/home/me/idc.kubeconfig")
    monkeypatch.delenv("HYBRID_FLEET_KUBECONFIG", raising=False)
    with sc.offline_kubeconfigs():
        assert os.environ["HYBRID_IDC_KUBECONFIG"] == "/offline/hybrid-idc.kubeconfig"
        assert os.environ["HYBRID_FLEET_KUBECONFIG"] == "/offline/hybrid-fleet.kubeconfig"
    assert os.environ["HYBRID_IDC_KUBECONFIG"] == "/home/me/idc.kubeconfig"
    assert "HYBRID_FLEET_KUBECONFIG" not in os.environ
    with pytest.raises(RuntimeError), sc.offline_kubeconfigs():
        raise RuntimeError("the plan failed")
    assert os.environ["HYBRID_IDC_KUBECONFIG"] == "/home/me/idc.kubeconfig"
    assert "HYBRID_FLEET_KUBECONFIG" not in os.environ


def test_project_root_is_the_nearest_directory_with_pulumi_yaml(tmp_path, monkeypatch):
    (tmp_path / "Pulumi.yaml").write_text("name: p\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert sc.project_root(tmp_path / "a" / "b") == tmp_path.resolve()
    assert sc.project_root(tmp_path) == tmp_path.resolve()
    monkeypatch.chdir(tmp_path / "a")
    assert sc.project_root() == tmp_path.resolve()
    (tmp_path / "a" / "Pulumi.yaml").mkdir()  # a directory of that name is not the project file
    assert sc.project_root(tmp_path / "a" / "b") == tmp_path.resolve()


def test_no_project_root_says_where_to_run(tmp_path):
    # tmp_path's ancestors (/tmp, /) hold no Pulumi.yaml
    with pytest.raises(FileNotFoundError, match=r"^no Pulumi.yaml in this directory or above; run from the project checkout$"):
        sc.project_root(tmp_path)


# --- read_stack: what the engine gets -------------------------------------------------------------

def test_dev_as_the_engine_gets_it(tmp_path):
    s = sc.read_stack("dev", _root(tmp_path, _dev_config()))
    assert (s.project, s.stack, s.program) == (NS, "dev", tmp_path / "__main__.py")
    assert s.raw["environment"] == "dev" and not any(":" in k for k in s.raw)
    assert s.engine_config["alicloud:region"] == "cn-beijing"
    assert s.engine_config[f"{NS}:environment"] == "dev"
    # structured values as JSON with sorted keys (dev's idc: apiserver first)
    idc = s.engine_config[f"{NS}:idc"]
    assert idc.startswith('{"apiserver": {"host": "10.8.0.10", "port": 6443}, "extraRanges": ["10.9.0.0/24"]')
    assert json.loads(idc) == _dev_config()[f"{NS}:idc"]
    # dev: caCertHash always; the addon pair for ack-virtual-node's addonSecret credentials
    assert s.secret_keys == [f"{NS}:addonAccessKeyId", f"{NS}:addonAccessKeySecret", f"{NS}:caCertHash"]
    assert s.engine_config[f"{NS}:caCertHash"] == "sha256:" + "0" * 64
    assert s.engine_config[f"{NS}:addonAccessKeyId"] == "LTAIofflineplaceholder"
    assert s.platform is not None and s.platform.environment == "dev"
    assert s.declared_secrets == ()


def test_the_stack_file_dir_comes_from_pulumi_yaml(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text(f"name: {NS}\nruntime: python\n")  # no stackConfigDir: the project dir
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": _dev_config()}))
    assert sc.read_stack("dev", tmp_path).raw["environment"] == "dev"


def test_a_key_without_namespace_is_the_projects(tmp_path):
    config = _dev_config()
    config["environment"] = config.pop(f"{NS}:environment")
    s = sc.read_stack("dev", _root(tmp_path, config))
    assert s.raw["environment"] == "dev" and s.engine_config[f"{NS}:environment"] == "dev"


def test_secure_values_get_offline_stand_ins_and_are_declared(tmp_path):
    config = _dev_config()
    config[f"{NS}:caCertHash"] = {"secure": "v1:AAAA"}
    config[f"{NS}:addonAccessKeySecret"] = {"secure": "v1:BBBB"}
    config["alicloud:secretKey"] = {"secure": "v1:CCCC"}
    s = sc.read_stack("dev", _root(tmp_path, config))
    assert s.engine_config[f"{NS}:caCertHash"] == "sha256:" + "0" * 64
    assert s.engine_config[f"{NS}:addonAccessKeySecret"] == "offline-placeholder-addon-ak-secret"
    assert s.engine_config["alicloud:secretKey"] == "offline-placeholder"  # a key with no stand-in of its own
    assert s.secret_keys == ["alicloud:secretKey", f"{NS}:addonAccessKeyId", f"{NS}:addonAccessKeySecret",
                             f"{NS}:caCertHash"]
    assert s.declared_secrets == ("addonAccessKeySecret", "caCertHash", "secretKey")
    assert "caCertHash" not in s.raw and "secretKey" not in s.raw
    # a mapping that is not only `secure` is a value, not a secret
    config = _dev_config()
    config["alicloud:assumeRole"] = {"secure": "x", "roleArn": "acs:ram::1:role/r"}
    s = sc.read_stack("dev", _root(tmp_path, config))
    assert json.loads(s.engine_config["alicloud:assumeRole"]) == {"roleArn": "acs:ram::1:role/r", "secure": "x"}
    assert "alicloud:assumeRole" not in s.secret_keys and s.declared_secrets == ()


def test_terway_access_key_credentials_need_their_pair(tmp_path):
    config = _dev_config()
    config[f"{NS}:cni"]["terway"]["credentials"] = "accessKey"
    s = sc.read_stack("dev", _root(tmp_path, config))
    assert s.secret_keys == [f"{NS}:addonAccessKeyId", f"{NS}:addonAccessKeySecret", f"{NS}:caCertHash",
                             f"{NS}:terwayAccessKeyId", f"{NS}:terwayAccessKeySecret"]
    assert s.engine_config[f"{NS}:terwayAccessKeySecret"] == "offline-placeholder-terway-ak-secret"
    # one the file declares keeps its place (not added twice)
    config[f"{NS}:terwayAccessKeyId"] = {"secure": "v1:DDDD"}
    s = sc.read_stack("dev", _root(tmp_path, config))
    assert s.secret_keys.count(f"{NS}:terwayAccessKeyId") == 1
    assert s.declared_secrets == ("terwayAccessKeyId",)


# --- read_stack: refusals -------------------------------------------------------------------------

def test_a_missing_stack_file(tmp_path):
    _root(tmp_path, _dev_config())  # stacks/Pulumi.dev.yaml only
    with pytest.raises(ConfigError) as e:
        sc.read_stack("qa", tmp_path)
    assert the_issue(e) == (
        "--stack", f"no config file {tmp_path / 'stacks' / 'Pulumi.qa.yaml'} for stack 'qa'.",
        "create it or pick an existing stack (dev, prod).")


def test_config_file_given(tmp_path):
    root = _root(tmp_path, {f"{NS}:environment": "qa"})  # the stack's own file is not read
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({"config": _dev_config()}))
    assert sc.read_stack("dev", root, other).raw["environment"] == "dev"
    for given, message, fix in (
            (tmp_path / "stacks", f"{tmp_path / 'stacks'} is a directory, not a stack config file.",
             "pass the Pulumi.<stack>.yaml file itself."),
            (tmp_path / "absent.yaml", f"no such file {tmp_path / 'absent.yaml'}.",
             "pass an existing stack config file, or leave --config out to use stacks/Pulumi.<stack>.yaml.")):
        with pytest.raises(ConfigError) as e:
            sc.read_stack("dev", root, given)
        [issue] = e.value.issues
        assert (issue.path, issue.message, issue.fix) == ("--config", message, fix)


def test_a_bad_stack_name_is_refused_before_any_file_is_read(tmp_path):
    with pytest.raises(ConfigError) as e:
        sc.read_stack("../dev", tmp_path / "nowhere")
    assert e.value.issues[0].path == "--stack"


@pytest.mark.parametrize("text, kind", [("[]\n", "list"), ("x\n", "string"), ("3\n", "number"), ("3.5\n", "number"),
                                        ("true\n", "boolean")])
def test_a_top_level_that_is_not_a_mapping(tmp_path, text, kind):
    [issue] = _issues(tmp_path, text=text)
    assert issue.path == "<root>"
    assert issue.message == f"the top level of {tmp_path / 'stacks' / 'Pulumi.dev.yaml'} is a {kind}, not a mapping."
    assert issue.fix == "start the file with `config:` and the stack's keys under it."


def test_config_that_is_not_a_mapping(tmp_path):
    [issue] = _issues(tmp_path, text="config: [a]\n")
    assert issue.path == "config"
    assert issue.message == f"is a list, not a mapping ({tmp_path / 'stacks' / 'Pulumi.dev.yaml'})."
    assert issue.fix == "put the stack's keys under config:, e.g. config: {hybrid-gpu-platform:environment: dev}."


@pytest.mark.parametrize("text", ["", "config:\n", "config: {}\n"])
def test_an_empty_file_or_config_is_the_models_problem(tmp_path, text):
    # no crash on None: the model names what is missing (environment among them)
    issues = _issues(tmp_path, text=text)
    assert "environment" in {i.path for i in issues}


def test_a_retired_key_and_a_model_problem_are_named_together(tmp_path):
    config = _dev_config()
    config[f"{NS}:bootstrapToken"] = "abcdef.0123456789abcdef"
    config[f"{NS}:environment"] = "qa"
    config["alicloud:bootstrapToken"] = "x"  # another namespace's key of that name is not ours
    issues = _issues(tmp_path, config=config)
    assert [i.path for i in issues] == ["bootstrapToken", "environment"]
    retired = issues[0]
    assert retired.message == ("is set, but the join token is no longer stack config: nodes read it from their "
                               "region's OSS object.")
    assert retired.fix == ("run `pulumi config rm bootstrapToken`, and write the token with "
                           "`hybrid-gpu join-token put --stack <stack>` (docs/operations.md).")


@pytest.mark.parametrize("key", ["caCertHash", "addonAccessKeyId", "terwayCredentialFile"])
def test_a_secret_in_plain_text_is_named_once(tmp_path, key):
    config = _dev_config()
    config[f"{NS}:{key}"] = "plain"
    [issue] = _issues(tmp_path, config=config)  # not again as an unknown key of the model
    assert issue.path == key
    assert issue.message == "is stored in plain text in the stack file."
    assert issue.fix == f"remove it and run `pulumi config set --secret {key} ...`."


def test_the_provider_region_is_checked(tmp_path):
    config = _dev_config()
    config["alicloud:region"] = "cn-beijng"
    [issue] = _issues(tmp_path, config=config)
    assert issue.path == "config.alicloud:region"
    assert issue.message == "'cn-beijng' is not an Alibaba Cloud region. Did you mean cn-beijing?"
    assert issue.fix == "use a region id such as cn-beijing (hybrid/regions.py lists them)."
    config["alicloud:region"] = "mars-north-1"
    [issue] = _issues(tmp_path, config=config)
    assert issue.message == "'mars-north-1' is not an Alibaba Cloud region."
    config["alicloud:region"] = 5
    [issue] = _issues(tmp_path, config=config)
    assert issue.message == "'5' is not an Alibaba Cloud region."
    config["alicloud:region"] = "x" * 70
    [issue] = _issues(tmp_path, config=config)
    assert issue.message == repr("x" * 60) + " is not an Alibaba Cloud region."


def test_a_foreign_value_with_control_characters(tmp_path):
    config = _dev_config()
    config["alicloud:profile"] = "default\nx"
    [issue] = _issues(tmp_path, config=config)
    assert (issue.path, issue.message, issue.fix) == (
        "config.alicloud:profile", "contains control characters.", "remove line breaks and other control characters.")
    config["alicloud:profile"] = "default"
    config["alicloud:retries"] = 3  # not text: passed on as JSON
    s = sc.read_stack("dev", _root(tmp_path, config))
    assert (s.engine_config["alicloud:profile"], s.engine_config["alicloud:retries"]) == ("default", "3")


def test_structured_values_reach_the_engine_with_sorted_keys(tmp_path):
    text = yaml.safe_dump({"config": _dev_config()}) + "  alicloud:assumeRole: {roleArn: r, policy: p}\n"
    s = sc.read_stack("dev", _root(tmp_path, text=text))
    assert s.engine_config["alicloud:assumeRole"] == '{"policy": "p", "roleArn": "r"}'


def test_a_region_that_is_not_text_gets_no_suggestion(tmp_path):
    config = _dev_config()
    config["alicloud:region"] = ["cn-beijing"]  # its text is close to cn-beijing, but it is a list
    [issue] = _issues(tmp_path, config=config)
    assert issue.message == repr("['cn-beijing']") + " is not an Alibaba Cloud region."


def test_a_declared_secret_key_is_everything_after_the_namespace(tmp_path):
    config = _dev_config()
    config["alicloud:assume:role"] = {"secure": "v1:EEEE"}
    assert sc.read_stack("dev", _root(tmp_path, config)).declared_secrets == ("assume:role",)


def test_offline_kubeconfigs_restore_a_variable_the_body_removed(monkeypatch):
    monkeypatch.delenv("HYBRID_FLEET_KUBECONFIG", raising=False)
    with sc.offline_kubeconfigs():
        del os.environ["HYBRID_FLEET_KUBECONFIG"]
    assert "HYBRID_FLEET_KUBECONFIG" not in os.environ
