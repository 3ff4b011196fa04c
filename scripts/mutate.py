"""Mutation testing (mutmut) per module, each with its fast targeted tests; the table in docs/testing.md.

``python scripts/mutate.py [TARGET ...]`` (``make mutate``; ``MUTATE="cidr cost"`` picks targets)
copies the tracked tree into build/mutate/<target>/, adds a [tool.mutmut] section for that one
module there (mutmut reads a single config from the working directory, so per-module test
selection needs one directory per target), runs ``mutmut run``, records the counts of that
module in docs/mutation-results.json and rewrites the table of docs/testing.md from that file
(every module of the packages; a module never run reads "not measured", one whose run generated
no mutant "no code to mutate"). Nothing else in the checkout is changed. ``--table-only``
rewrites the table from the recorded results alone; ``--survivors`` re-runs only a target's recorded
survivors (after tests were added; refused once the module's text differs from its recorded run). Survivors:
``cd build/mutate/<target> && ../../../.venv/bin/mutmut results`` and ``mutmut show <name>``.

Score = killed (or timed out) / (all mutants - equivalent ones). A mutant no selected test
reaches counts as surviving. Equivalent mutants (no behaviour can tell them from the original)
are listed in EQUIVALENT with the reason, and shown in docs/testing.md.

In the copy only, every decorated function of the target gets its decorators applied after its
definition (``_undecorate``: mutmut never mutates a decorated function), and for the policy modules
(policy/rules/*.py) the tests import the rules under the name mutmut gives their files
(``_alias_policy_rules``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")
RESULTS = ROOT / "docs" / "mutation-results.json"
DOC = ROOT / "docs" / "testing.md"
BEGIN, END = "<!-- mutate:table:begin -->", "<!-- mutate:table:end -->"
EQ_BEGIN, EQ_END = "<!-- mutate:equivalent:begin -->", "<!-- mutate:equivalent:end -->"
PACKAGES = ("hybrid", "components", "hybrid_tools", "policy")

# module -> the tests that exercise it quickly (no subprocess plan, no scanners). mutmut runs,
# per mutant, only the selected tests whose run entered the mutated function.
TARGETS: dict[str, tuple[str, list[str]]] = {
    "cidr": ("hybrid/cidr.py", ["tests/test_cidr.py", "tests/test_mutation_cidr.py"]),
    "imageref": ("hybrid/imageref.py", ["tests/test_imageref.py", "tests/test_mutation_imageref.py"]),
    "transit": ("hybrid/transit.py", ["tests/test_transit.py", "tests/test_mutation_transit.py"]),
    "calico_selector": ("hybrid/calico_selector.py", ["tests/test_calico_selector.py",
                                                      "tests/test_mutation_calico_selector.py"]),
    "safeload": ("hybrid/safeload.py", ["tests/test_safeload.py", "tests/test_mutation_safeload.py"]),
    "placement": ("hybrid/placement.py", ["tests/test_placement_core.py", "tests/test_placement_capacity.py",
                                          "tests/test_mutation_placement.py"]),
    "placement_capacity": ("hybrid/placement_capacity.py", ["tests/test_placement_capacity.py",
                                                            "tests/test_mutation_placement_capacity.py"]),
    "placement_platform": ("hybrid/placement_platform.py", [
        "tests/test_placement_platform.py", "tests/test_mutation_placement_platform.py",
        "tests/test_fleet.py::test_every_fleet_object_of_each_policy_form_matches_its_schema",
        "tests/test_fleet.py::test_members_are_other_clusters_never_tiers_of_the_hybrid_one",
        "tests/test_fleet.py::test_a_fleet_without_other_members_sends_everything_to_the_hybrid_cluster",
        "tests/test_fleet.py::test_emitted_weights_are_the_closest_plan_over_the_range"]),
    "cost": ("hybrid/cost.py", ["tests/test_cost_elastic.py", "tests/test_mutation_cost.py"]),
    "fleet": ("hybrid/fleet.py", ["tests/test_fleet.py", "-k", "not plan_cli and not prod_declares and not dev_without_a_fleet_writes "
                                  "and not prod_applies", "tests/test_mutation_fleet.py"]),
    "diff": ("hybrid_tools/diff.py", ["tests/test_diff.py", "tests/test_diff_coverage.py", "tests/test_mutation_diff.py"]),
    "model_base": ("hybrid/model/base.py", ["tests/test_mutation_model_base.py"]),
    "model_disk": ("hybrid/model/disk.py", ["tests/test_model.py", "tests/test_hostile_input.py",
                                            "tests/test_mutation_model_disk.py"]),
    # In-process and small: the prod_plan tests (the whole prod plan, seconds per mutant) and the
    # pickled-provider test (a fresh interpreter) are left out; the relations they read are checked in
    # tests/test_mutation_registered_cluster.py under the mocks.
    "registered_cluster": ("components/registered_cluster.py", [
        "tests/test_registered_cluster.py::test_registration_inputs_and_read_only_console_scope",
        "tests/test_registered_cluster.py::test_agent_workload_comes_from_the_manifest_with_credentials_only_in_the_secret",
        "tests/test_registered_cluster.py::test_admin_console_and_fleet_when_the_stack_asks",
        "tests/test_registered_cluster.py::test_referenced_fleet_gets_every_member_and_no_new_fleet",
        "tests/test_registered_cluster.py::test_agent_manifest_output_is_secret",
        "tests/test_registered_cluster.py::test_engine_is_asked_to_keep_the_agent_manifest_secret_in_state",
        "tests/test_ack_api.py", "tests/test_mutation_registered_cluster.py", "-k", "not pickled"]),
    "gpu_artifacts": ("hybrid_tools/gpu_artifacts.py", ["tests/test_gpu_artifacts.py"]),
    "artifacts": ("hybrid_tools/artifacts.py", ["tests/test_gpu_artifacts.py"]),
    "model_lease": ("hybrid/model/lease.py", ["tests/test_lease_cost.py::test_lease_fields_are_validated",
                                              "tests/test_lease_cost.py::test_lease_end_forms",
                                              "tests/test_mutation_model_lease.py"]),
    "model_join_token": ("hybrid/model/join_token.py", ["tests/test_mutation_model_join_token.py"]),
    "model_registration": ("hybrid/model/registration.py", [
        "tests/test_registered_cluster.py::test_config_checks_fleet_name_and_admin_agent_with_read_only_console",
        "tests/test_mutation_model_registration.py"]),
    "model_virtual_node": ("hybrid/model/virtual_node.py", ["tests/test_virtual_node.py::test_model_rules",
                                                            "tests/test_virtual_node.py::test_idc_range_in_alibaba_service_block_is_flagged",
                                                            "tests/test_mutation_model_virtual_node.py"]),
    "model_bgp": ("hybrid/model/bgp.py", ["tests/test_calico.py::test_bad_bgp_config_names_the_field",
                                          "tests/test_calico.py::test_dev_without_peers_keeps_the_mesh",
                                          "tests/test_mutation_model_bgp.py"]),
    "model_gpu_driver": ("hybrid/model/gpu_driver.py", ["tests/test_gpu_driver.py", "-k", "not cli_exit",
                                                        "tests/test_mutation_model_gpu_driver.py"]),
    "model_leased_line": ("hybrid/model/leased_line.py", [
        "tests/test_leased_line.py::test_prod_gives_every_region_a_path",
        "tests/test_transit.py::test_a_region_without_a_path_to_the_vbr_names_the_field",
        "tests/test_transit.py::test_idc_announcements_fit_the_vbr_route_limit",
        "tests/test_mutation_model_leased_line.py"]),
    "model_elastic": ("hybrid/model/elastic.py", ["tests/test_elastic_model.py::test_bad_pool_names_field_and_fix",
                                                  "tests/test_elastic_model.py::test_prod_has_one_elastic_pool_and_dev_none",
                                                  "tests/test_mutation_model_elastic.py"]),
    "policy_lease": ("policy/rules/lease.py", ["tests/test_policy_rules.py", "tests/test_mutation_policy_lease.py"]),
    "policy_kubernetes": ("policy/rules/kubernetes.py", ["tests/test_policy_rules.py",
                                                         "tests/test_mutation_policy_kubernetes.py"]),
    "policy_identity": ("policy/rules/identity.py", ["tests/test_policy_rules.py", "tests/test_mutation_policy_identity.py"]),
    "policy_network": ("policy/rules/network.py", ["tests/test_policy_rules.py", "tests/test_mutation_policy_network.py"]),
    "policy_compute": ("policy/rules/compute.py", ["tests/test_policy_rules.py", "tests/test_mutation_policy_compute.py"]),
    "policy_common": ("policy/rules/common.py", ["tests/test_policy_rules.py", "tests/test_mutation_policy_lease.py",
                                                 "tests/test_mutation_policy_kubernetes.py",
                                                 "tests/test_mutation_policy_identity.py",
                                                 "tests/test_mutation_policy_network.py",
                                                 "tests/test_mutation_policy_compute.py",
                                                 "tests/test_mutation_policy_common.py"]),
    "waivers": ("hybrid/waivers.py", ["tests/test_mutation_waivers.py", "tests/test_cni.py"]),
    "regions": ("hybrid/regions.py", ["tests/test_mutation_regions.py", "tests/test_model.py"]),
    "shtemplate": ("hybrid/shtemplate.py", ["tests/test_mutation_shtemplate.py", "tests/test_gpu_driver_script.py"]),
    "virtual_node": ("hybrid/virtual_node.py", ["tests/test_virtual_node.py", "tests/test_mutation_virtual_node.py"]),
    "elastic": ("hybrid/elastic.py", ["tests/test_elastic_node.py", "tests/test_elastic_model.py",
                                      "tests/test_mutation_elastic.py"]),
    "agent": ("hybrid/agent.py", ["tests/test_ack_agent.py", "tests/test_mutation_agent.py"]),
    "node_daemonset": ("hybrid/node_daemonset.py", ["tests/test_mutation_node_daemonset.py", "tests/test_device_plugin.py"]),
    "model_metrics": ("hybrid/model/metrics.py", ["tests/test_mutation_model_metrics.py"]),
    "model_pricing": ("hybrid/model/pricing.py", ["tests/test_mutation_model_pricing.py"]),
    "model_cni": ("hybrid/model/cni.py", ["tests/test_mutation_model_cni.py"]),
    "model_identity": ("hybrid/model/identity.py", ["tests/test_mutation_model_identity.py"]),
    "ack_api": ("hybrid/ack_api.py", ["tests/test_mutation_ack_api.py", "tests/test_ack_api.py", "-k", "not pickled"]),
    # (only tests whose name resolution is held to loopback, tests/standin.py loopback_only: a mutant
    # that drops the stand-in's endpoint must not send the SDK to Alibaba's)
    "pricing_api": ("hybrid/pricing_api.py", ["tests/test_mutation_pricing_api.py"]),
    "preflight": ("hybrid/preflight.py", ["tests/test_preflight.py::test_idc_mode_checks_only_what_the_idc_serves",
                                          "tests/test_preflight.py::test_a_url_without_a_host_fails_its_check_not_the_run",
                                          "tests/test_preflight.py::test_progress_names_each_check_before_it_runs",
                                          "tests/test_mutation_preflight.py"]),
    "model_placement": ("hybrid/model/placement.py", ["tests/test_mutation_model_placement.py"]),
    "placement_input": ("hybrid/placement_input.py", ["tests/test_placement_cli.py", "-k", "not end_to_end",
                                                      "tests/test_mutation_placement_input.py"]),
    "partial": ("hybrid/partial.py", ["tests/test_config_one_run.py", "tests/test_mutation_partial.py"]),
    "usage": ("hybrid/usage.py", ["tests/test_usage.py", "tests/test_mutation_usage.py"]),
    "cloudinit": ("hybrid/cloudinit.py", [
        "tests/test_mutation_cloudinit.py", "tests/test_cloudinit.py",
        "tests/test_hostile_render.py::test_label_values_outside_the_grammar_are_refused_by_the_renderer",
        "tests/test_hostile_render.py::test_preload_names_that_are_not_one_word_are_refused",
        "-k", "not schema and not shellcheck"]),
    "redaction": ("hybrid/redaction.py", ["tests/test_cloudinit.py::test_redaction_and_determinism"]),
    "instance_types": ("hybrid/instance_types.py", ["tests/test_mutation_instance_types.py"]),
    "errors": ("hybrid/errors.py", ["tests/test_mutation_errors.py"]),
    "yamlio": ("hybrid/yamlio.py", ["tests/test_mutation_yamlio.py"]),
    "stack": ("hybrid/stack.py", ["tests/test_mutation_stack.py"]),
    "tables": ("hybrid/tables.py", ["tests/test_mutation_tables.py"]),
    "unconfirmed": ("hybrid/unconfirmed.py", ["tests/test_mutation_unconfirmed.py", "tests/test_unconfirmed.py"]),
    "model_network": ("hybrid/model/network.py", ["tests/test_model.py", "-k", "not cli_exit",
                                                  "tests/test_mutation_model_network.py"]),
    "model_gpu": ("hybrid/model/gpu.py", ["tests/test_model.py", "-k", "not cli_exit", "tests/test_mutation_model_gpu.py"]),
    "model_node_access": ("hybrid/model/node_access.py", ["tests/test_node_access.py", "-k", "not plan_refuses",
                                                          "tests/test_mutation_model_node_access.py"]),
    "calico": ("hybrid/calico.py", ["tests/test_calico.py", "tests/test_mutation_calico.py"]),
    "cni": ("hybrid/cni.py", ["tests/test_mutation_cni.py"]),
    "metadata_guard": ("hybrid/metadata_guard.py", ["tests/test_metadata_guard.py", "tests/test_mutation_metadata_guard.py"]),
    "device_plugin": ("hybrid/device_plugin.py", ["tests/test_device_plugin.py", "-k", "not component",
                                                  "tests/test_mutation_device_plugin.py"]),
    "gpu_nodes": ("hybrid/gpu_nodes.py", ["tests/test_mutation_gpu_nodes.py"]),
    "identity": ("hybrid/identity.py", ["tests/test_identity.py", "-k", "not every_gpu_instance and not addon_secret_is_secret",
                                        "tests/test_mutation_identity.py"]),
    "model_jobs": ("hybrid/model/jobs.py", ["tests/test_mutation_model_jobs.py"]),
    "jobs": ("hybrid/jobs.py", ["tests/test_mutation_jobs.py", "tests/test_jobs.py",
                                "-k", "not plans_recorded and not every_prod_object",
                                "tests/test_mutation_jobs_objects.py", "tests/test_mutation_jobs_checks.py"]),
    "model_platform": ("hybrid/model/platform.py", ["tests/test_mutation_model_platform.py"]),
    "gpu_metrics": ("hybrid/gpu_metrics.py", ["tests/test_gpu_metrics.py", "-k", "not component",
                                              "tests/test_mutation_gpu_metrics.py"]),
    "tools_errors": ("hybrid_tools/errors.py", ["tests/test_mutation_tools_formats.py"]),
    "tools_formats": ("hybrid_tools/formats.py", ["tests/test_mutation_tools_formats.py"]),
    "reach_artifacts": ("hybrid_tools/reach_artifacts.py", ["tests/test_mutation_tools_reach.py"]),
    "vnode_artifacts": ("hybrid_tools/vnode_artifacts.py", ["tests/test_mutation_tools_vnode.py"]),
    "placement_artifacts": ("hybrid_tools/placement_artifacts.py", ["tests/test_mutation_tools_placement.py"]),
    "policy_config": ("hybrid_tools/policy_config.py", ["tests/test_mutation_tools_policy_config.py"]),
    "cost_diff": ("hybrid_tools/cost_diff.py", ["tests/test_cost_elastic.py::test_diff_lines_for_an_elastic_maximum",
                                               "tests/test_cost_elastic.py::test_a_hand_edited_cost_json_is_one_line",
                                               "tests/test_mutation_tools_cost_diff.py"]),
    "stackconfig": ("hybrid_tools/stackconfig.py", ["tests/test_mutation_tools_stackconfig.py"]),
    # (in-process only: each test of tests/test_wait_gpus.py with the fake apiserver costs half a second to stop it)
    "tools_wait_gpus": ("hybrid_tools/wait_gpus.py", [
        "tests/test_mutation_tools_wait_gpus.py", "tests/test_wait_gpus.py::test_progress_heartbeat_when_nothing_changes",
        "tests/test_wait_gpus.py::test_nodes_named_after_their_instance_are_found_by_their_host_label"]),
    "tools_references": ("hybrid_tools/references.py", ["tests/test_references.py", "-k", "not plans_have and not every_table_entry",
                                                        "tests/test_mutation_tools_references.py"]),
    "tools_provider_ids": ("hybrid_tools/provider_ids.py", [
        "tests/test_provider_ids.py", "-k", "not every_declared_type and not fails_the_plan and not prod_outputs",
        "tests/test_mutation_tools_provider_ids.py"]),
    "tools_validators": ("hybrid_tools/validators.py", ["tests/test_mutation_tools_validators.py"]),
    "tools_cost_artifacts": ("hybrid_tools/cost_artifacts.py", ["tests/test_mutation_tools_cost_artifacts.py"]),
    "tools_cen_standin": ("hybrid_tools/cen_standin.py", ["tests/test_mutation_tools_cen_standin.py"]),
    "tools_idc_standin": ("hybrid_tools/idc_standin.py", ["tests/test_mutation_tools_idc_standin.py"]),
    "tools_agent_artifacts": ("hybrid_tools/agent_artifacts.py", ["tests/test_mutation_tools_agent_artifacts.py"]),
    "tools_elastic_artifacts": ("hybrid_tools/elastic_artifacts.py", [
        "tests/test_mutation_tools_elastic_artifacts.py", "tests/test_elastic_plan.py::test_array_words_are_shlex_split"]),
    "tools_init_stack": ("hybrid_tools/init_stack.py", ["tests/test_init_stack.py", "tests/test_mutation_tools_init_stack.py"]),
    "tools_configdoc": ("hybrid_tools/configdoc.py", ["tests/test_configdoc.py", "tests/test_mutation_tools_configdoc.py"]),
    # Components, in-process under Pulumi's mocks (tests/conftest.py pulumi_mocks + settle).
    "comp_gpu_pool": ("components/gpu_pool.py", ["tests/test_gpu_pool.py::test_instances_have_the_real_inputs",
                                                 "tests/test_gpu_pool.py::test_ram_role_attached_only_when_configured",
                                                 "tests/test_mutation_comp_gpu_pool.py"]),
    "comp_cni": ("components/cni.py", ["tests/test_cni_component.py", "tests/test_mutation_comp_cni.py"]),
    "comp_elastic": ("components/elastic.py", ["tests/test_mutation_comp_elastic.py"]),
    "comp_network": ("components/network.py", ["tests/test_network_component.py", "tests/test_leased_line.py",
                                               "tests/test_mutation_comp_network.py"]),
    "comp_platform": ("components/platform.py", ["tests/test_platform_inprocess.py", "tests/test_mutation_comp_platform.py"]),
    # components under Pulumi's mocks, in-process (tests/conftest.py pulumi_mocks + settle)
    "comp_oss": ("components/oss.py", ["tests/test_mutation_comp_oss.py", "tests/test_platform_inprocess.py"]),
    "comp_device_plugin": ("components/device_plugin.py", [
        "tests/test_device_plugin.py::test_component_declares_daemonsets_or_reads_the_operators_cluster_policy",
        "tests/test_mutation_comp_device_plugin.py"]),
    "comp_gpu_metrics": ("components/gpu_metrics.py", [
        "tests/test_gpu_metrics.py::test_component_declares_the_objects_and_the_arms_job_when_managed",
        "tests/test_mutation_comp_gpu_metrics.py"]),
    "comp_fleet": ("components/fleet.py", ["tests/test_mutation_comp_fleet.py", "tests/test_platform_inprocess.py"]),
    "comp_join_token": ("components/join_token.py", ["tests/test_mutation_comp_join_token.py",
                                                     "tests/test_platform_inprocess.py"]),
    "comp_config": ("components/config.py", [
        "tests/test_identity.py::test_missing_credential_secret_config_names_the_key",
        "tests/test_identity.py::test_kubeconfig_paths_come_from_the_environment_and_a_missing_one_is_named",
        "tests/test_mutation_comp_config.py", "tests/test_platform_inprocess.py"]),
    "comp_contracts": ("components/contracts.py", ["tests/test_mutation_comp_contracts.py",
                                                   "tests/test_platform_inprocess.py"]),
    "comp_virtual_node": ("components/virtual_node.py", ["tests/test_virtual_node.py::test_addon_config_one_region",
                                                         "tests/test_virtual_node.py::test_addon_config_three_regions",
                                                         "tests/test_mutation_comp_virtual_node.py"]),
    "comp_calico": ("components/calico.py", ["tests/test_mutation_comp_calico.py", "tests/test_platform_inprocess.py"]),
    "comp_identity": ("components/identity.py", ["tests/test_mutation_comp_identity.py",
                                                 "tests/test_gpu_pool.py::test_ram_role_attached_only_when_configured",
                                                 "tests/test_platform_inprocess.py"]),
    # (the mocks, the wire forms and the recording monitor directly, and run_program on tiny programs: a
    # mutant raising inside the SDK's mock monitor spins until the CPU limit, counted killed only if it recurs)
    "tools_mockrun": ("hybrid_tools/mockrun.py", [
        "tests/test_mockrun.py", "tests/test_mutation_tools_mockrun.py", "tests/test_mock_settle.py",
        *(f"tests/test_provider_ids.py::test_{t}" for t in (
            "transit_router_attachment_id_is_cen_colon_attachment", "node_pool_id_is_cluster_colon_node_pool",
            "route_entry_id_has_five_parts_with_the_vpcs_vrouter", "security_group_rule_id_replaces_the_ipv6_colons",
            "private_ips_are_distinct_and_outside_the_reserved_addresses", "an_imported_resource_keeps_its_id",
            "kubernetes_ids_are_namespace_slash_name_or_name", "the_registered_cluster_id_is_its_cluster_id"))]),
    # (build_plan runs the dev stack in process, a few seconds per mutant)
    "tools_plan": ("hybrid_tools/plan.py", [
        "tests/test_plan_summary.py", "tests/test_mutation_tools_plan.py",
        "tests/test_cost_elastic.py::test_plan_summary_ends_with_unplaced_replicas_and_cost"]),
    # (the gate's side of the analyzer protocol against a recording stub, in process; the real pack and the
    # program's runs of the dev and bad stacks through the gate's cli, a few seconds each)
    "tools_policy_gate": ("hybrid_tools/policy_gate.py", [
        "tests/test_mutation_tools_policy_gate.py",
        "tests/test_policy_gate.py::test_level_numbers_match_the_protocol",
        "tests/test_policy_gate.py::test_pipelined_requests_fail_as_one_and_leave_nothing_running"]),
    "comp_jobs": ("components/jobs.py", ["tests/test_mutation_comp_jobs.py"]),
    "tools_placement_cli": ("hybrid_tools/placement_cli.py", ["tests/test_placement_cli.py", "-k", "not end_to_end",
                                                              "tests/test_mutation_tools_placement_cli.py"]),
    "tools_preflight_cli": ("hybrid_tools/preflight_cli.py", [
        "tests/test_preflight.py::test_node_bundle_is_the_runner_and_the_regions_checks",
        "tests/test_mutation_tools_preflight_cli.py"]),
    # (every selected test that can reach the pricing API or OSS holds name resolution to loopback,
    # tests/standin.py loopback_only: a mutant that drops the stand-in's endpoint must not reach Alibaba's)
    "tools_cost_cli": ("hybrid_tools/cost_cli.py", [
        "tests/test_lease_cost.py::test_prod_cost_by_hand",
        "tests/test_lease_cost.py::test_pricing_api_against_the_standin",
        "tests/test_mutation_tools_cost_cli.py"]),
    "tools_join_token_cli": ("hybrid_tools/join_token_cli.py", ["tests/test_join_token_cli.py",
                                                                "tests/test_mutation_tools_join_token_cli.py"]),
    "tools_lease_cli": ("hybrid_tools/lease_cli.py", ["tests/test_mutation_tools_lease_cli.py"]),
    "tools_jobs_cli": ("hybrid_tools/jobs_cli.py", ["tests/test_mutation_tools_jobs_cli.py"]),
    "tools_usage_cli": ("hybrid_tools/usage_cli.py", ["tests/test_mutation_tools_usage_cli.py",
                                                      "tests/test_lease_cost.py::test_one_clock_for_the_lease_rules_and_the_usage_report"]),
    "tools_cli": ("hybrid_tools/cli.py", ["tests/test_cli_style.py::test_every_subcommand_offers_the_three_formats",
                                         "tests/test_cli_style.py::test_json_is_data_except_where_placed",
                                         "tests/test_cli_style.py::test_one_stack_convention", "tests/test_mutation_tools_cli.py"]),
}

# Targets whose property tests would take minutes per mutant at their full example count: in the
# copy only, their hypothesis `max_examples` is capped at this number and the seed fixed, so the
# run stays bounded and repeatable (the suite itself keeps its counts).
HYPOTHESIS_CAP: dict[str, int] = {"placement": 25}

# mutant name (as `mutmut results` prints it) -> why no behaviour can tell it from the original.
EQUIVALENT: dict[str, str] = {
    "hybrid.cidr.xǁ_Allocatorǁtake__mutmut_11":
        "`addr + size - 2 <= last` for `- 1`: blocks start aligned to their size inside an aligned VPC, so a block's "
        "last address and the VPC's differ by a multiple of the block size (>= 8); both tests agree on every block",
    "hybrid.imageref.x__split_domain__mutmut_4":
        "message of an unreachable refusal: the name REFERENCE_RE captured always matches the anchored name grammar "
        "(built from the same pieces), so `_split_domain` never raises after `parse` matched",
    "hybrid.imageref.x_parse__mutmut_26":
        "`rpartition` for `partition` on the digest: the digest grammar allows exactly one `:` (algorithm has none, "
        "the hex part has none), so both split at the same place",
    "hybrid.imageref.x_parse__mutmut_22":
        "message only: the excerpt of a name over 255 characters quotes 41 instead of 40 characters; the refusal and "
        "upstream's error text are unchanged (not behaviour; kept out of the score)",
    "hybrid.imageref.x_parse_repository__mutmut_13":
        "message wording only: the fix's text padded with XX still names the version field; the refusal is unchanged "
        "(not behaviour; kept out of the score)",
    **{f"hybrid.transit.x_region_path__mutmut_{n}":
       "the assertion of what the model guarantees (hybrid/model/leased_line.py: a transit-router leased line has "
       "its route table, and then idc.vbr): on any platform `load` accepts all three hold, so `and`/`or` agree"
       for n in (34, 35)},
    **{f"hybrid.transit.x_region_path__mutmut_{n}":
       "the fallback for a transit router off the VBR's without interRegion: the model refuses that "
       "(regions[].leasedLine.transitRouter.interRegion, tests/test_transit.py), so `ir` is always set here"
       for n in (67, 69, 70)},
    "hybrid.calico_selector.x_tokenize__mutmut_19":
        "the kind of the previous token when there is none: only compared with \"label\", which neither \"\" nor "
        "\"XXXX\" is",
    **{f"hybrid.calico_selector.x_tokenize__mutmut_{n}":
       "the no-progress guard (Calico's own): every branch of the loop consumes a character or raises, so "
       "`len(text) >= start` is never true and neither `>` nor its message can be reached" for n in (190, 191, 192, 193)},
    "hybrid.calico_selector.x__op__mutmut_1":
        "`negated = None` for `False`: only its truth value is read (`not negated`, `if negated`), and None is falsy",
    **{f"hybrid.calico_selector.x_evaluate__mutmut_{n}":
       "the default of an absent label's value: every operator reads the value only when the label is present "
       "(`present and ...`, `not present or ...`)" for n in (47, 49, 50)},
    "hybrid.placement_capacity.x__split_number__mutmut_7":
        "`i = 1` for `i += 1` where i is 0: the same value",
    "hybrid.placement_capacity.x__convert__mutmut_13":
        "the conversion cache is cleared at 65,537 entries instead of 65,536: a cache size, never a result",
    "hybrid.placement_capacity.x__parse_text__mutmut_11":
        "'XX+-XX' for '+-' as the characters stripped from the number: _split_number returns a sign, digits and "
        "dots only, so an X is never there to strip",
    "hybrid.placement_capacity.x_offered__mutmut_3":
        "`round_up=None` for `False`: only its truth value is read",
    **{f"hybrid.placement_capacity.x_fit__mutmut_{n}":
       "`used`/`offered` of the pod count under the resource name None: the scale is 1 for every resource but cpu, "
       "so pods convert the same" for n in (4, 11)},
    "hybrid.placement_capacity.x_fit__mutmut_18":
        "`free >= 0` for `free > 0` when picking the pod bound: both give 0 when free is 0",
    "hybrid.placement_capacity.x_fit__mutmut_46":
        "`free >= 0` for `free > 0` before `free // amount`: 0 // amount is 0 as well",
    "hybrid.placement_capacity.x_fit__mutmut_51":
        "`n <= best` for `n < best`: when n equals best, setting best to n changes nothing (and n is not 0 there, "
        "since a 0 bound returned earlier)",
    "hybrid.calico_selector.x_evaluate__mutmut_88":
        "message of an AssertionError for a node kind `parse` never builds",
    "hybrid.model.join_token.x_bucket_name__mutmut_4":
        "`rstrip(\"XX-XX\")` for `rstrip(\"-\")`: the name is lower-case throughout (environment a fixed lower-case "
        "word, a region id, a DNS-label cluster name), so there is never an X to strip",
    "hybrid.model.gpu_driver.x_check_driver__mutmut_27":
        "the key looked up for a type without a family: neither \"\" nor \"XXXX\" is a family of the driver table, so "
        "both find no branches",
    **{f"hybrid.model.gpu_driver.x_kubelet_may_set__mutmut_{n}":
       "`split(\"/\")[0]` / `split(\"/\", 2)[0]` for `split(\"/\", 1)[0]`: the first piece is the same whatever the "
       "split limit" for n in (9, 12)},
    "hybrid.model.gpu_driver.x_kubelet_may_set__mutmut_10":
        "`rsplit` for `split` of the prefix: differs only for a key with two or more '/', and every key that reaches it "
        "is a LabelKey (hybrid/model/base.py _label_key allows one '/' at most)",
    "hybrid.model.gpu_driver.x_kubelet_may_set__mutmut_16":
        "the namespace of a key without prefix: \"\" or \"XXXX\", neither is nor ends in kubernetes.io, k8s.io or a "
        "kubelet namespace, so both allow the key",
    **{f"hybrid.model.elastic.x_bucket_name__mutmut_{n}":
       "the cut to 63 characters and the strip of a trailing '-' never act: the name is at most 60 characters "
       "(\"hybrid-staging-\", a cluster name of at most 32, \"-node-scripts\"; "
       "tests/test_mutation_model_elastic.py) and ends in \"scripts\", so `[:64]`, `rstrip(None)`, `rstrip(\"XX-XX\")` "
       "and `lstrip(\"-\")` (it starts with \"hybrid-\") give the same name" for n in (1, 2, 3, 4)},
    "hybrid.safeload.x_decode__mutmut_40":
        "`decode(\"UTF-8\")` for `\"utf-8\"`: Python's codec lookup ignores case, both name the same codec",
    "hybrid.safeload.x__scalar__mutmut_55":
        "`value[:41]` in the quoted hint, which is only built for values of at most 40 characters: the same text",
    "hybrid.safeload.x_loads_yaml__mutmut_52":
        "`shown[:41]` for `[:40]`: what a non-string key shows is an int of at most 18 digits (longer ones are "
        "refused first), a float's repr (at most 24 characters), True/False/None, or a collection's type name",
    **{f"hybrid.safeload.x__size__mutmut_{n}":
       "the early stop of `_size` past MAX_NODES: a collection's size counts its values, each of which `loads_yaml` "
       "already counted (with the collection's end event besides) and refused past MAX_NODES, so the count never "
       "gets there" for n in (7, 8)},
    "hybrid.safeload.x_loads_yaml__mutmut_16":
        "the initial `result`: every YAML document has a root node (an empty one is a null scalar event), so result "
        "is set before it is returned, and a stream without a document returns None before reading it",
    **{f"hybrid.safeload.x_loads_yaml__mutmut_{n}":
       "the placeholder a new collection puts in the path: a list's is replaced by the item's index before any "
       "event inside it reads the path, a mapping's by its key, and a pending key's location is the path without it"
       for n in (268, 269, 270, 271, 272)},
    **{f"hybrid.safeload.x_loads_yaml__mutmut_{n}":
       "`add`'s `is_key_candidate` (False only for collections) and event for a collection: only the key branch "
       "reads them, and there a collection already fails the `isinstance(value, str)` test; a collection's end "
       "event never reaches that branch at all (one opened where a key was expected is refused at its start)"
       for n in (184, 278, 279, 282, 283)},
    "hybrid.placement.x_tie_ranks__mutmut_3":
        "the first part of every rank without a tie key is \"XXXX\" instead of \"\": the same for every name, so the "
        "names still decide",
    "hybrid.placement.x_webster__mutmut_6":
        "`seats < 0` for `seats <= 0`: with 0 seats the loop (`while left and heap`) never runs, all zeros either way",
    **{f"hybrid.placement.x_webster__mutmut_{n}":
       "the default of `max(weights)`: there is at least one weight here (no clusters returned before)"
       for n in (19, 21, 22)},
    **{f"hybrid.placement.x_webster__mutmut_{n}":
       "where the heap switches to exact fractions, moved earlier or later by at most a factor 3: float priorities "
       "w / (2s + 1) order exactly while top * (2 * seats + 1) < 2**52 (two distinct such fractions differ relatively "
       "by more than 1 / (top * (2 * seats + 1)), more than two correct roundings can close), and the bound 2**50 "
       "keeps a factor 4; tests/test_mutation_placement.py holds the switch where floats do fail"
       for n in (25, 27, 28, 29)},
    **{f"hybrid.placement.x_webster__mutmut_{n}":
       "exact fractions where floats would do: Fraction-to-float comparisons are exact in Python, and below the "
       "bound the floats order as the fractions do, so the same seats (only slower)" for n in (39, 62)},
    "hybrid.placement.x__fill_in_order__mutmut_4":
        "`seats < 0` for `seats <= 0`: with 0 seats left, each further cluster takes min(0, cap) = 0",
    "hybrid.placement.x_place__mutmut_65":
        "`replicas < total_kept` for `<=`: at equality the scale-in branch cuts 0 and the scale-out branch divides 0, "
        "both return what is kept with 0 unplaced",
    **{f"hybrid.safeload.x__json_depth__mutmut_{n}":
       "`None` for `False` in the JSON string scanner's flags: only their truth value is read" for n in (3, 5, 13)},
    **{f"policy.rules.lease.x_check_gpu_owner__mutmut_{n}":
       "letter case of the message's second clause (the reason) only: the sentence still starts with its fix "
       "(lease.owner), ends with a period and says the same; not behaviour, kept out of the score" for n in (27, 28)},
    **{f"policy.rules.kubernetes.{m}":
       "`default=None` for an absent list: `items()` (policy/rules/common.py) reads None as the empty list, so the "
       "loop sees nothing either way"
       for m in ("x_is_cni_daemonset__mutmut_20", "x_is_cni_daemonset__mutmut_23",
                 "x_check_cni_off_virtual_kubelet__mutmut_90", "x_check_cni_off_virtual_kubelet__mutmut_93",
                 "x__host_root_only_in_init__mutmut_13", "x__host_root_only_in_init__mutmut_16",
                 "x__host_root_only_in_init__mutmut_28", "x__host_root_only_in_init__mutmut_31",
                 "x_check_host_paths__mutmut_24", "x_check_host_paths__mutmut_27",
                 "x_check_privileged_waived__mutmut_20", "x_check_privileged_waived__mutmut_23")},
    **{f"policy.rules.kubernetes.x_check_cni_off_virtual_kubelet__mutmut_{n}":
       "`default=None` for an absent nodeSelector: read only through `isinstance(selector, dict) and key in selector`, "
       "false for None and for {} alike" for n in (37, 40)},
    **{f"policy.rules.kubernetes.x_check_cni_off_virtual_kubelet__mutmut_{n}":
       "`default=None` for absent nodeSelectorTerms: read only through `if not terms`, true for None and [] alike "
       "(the same fix is reported)" for n in (56, 62)},
    "policy.rules.kubernetes.x_check_cni_off_virtual_kubelet__mutmut_85":
        "`ok = None` for `False`: only its truth value is read (`if not ok`)",
    **{f"policy.rules.kubernetes.x__host_root_waived__mutmut_{n}":
       "`default=None` for absent annotations: None is no Mapping and returns [], as iterating {} does" for n in (5, 9)},
    **{f"policy.rules.kubernetes.x_check_privileged_waived__mutmut_{n}":
       "`default=None` for absent annotations: plain(None) is None, which the merge skips (`isinstance(p, dict)`) "
       "as it reads nothing from {}" for n in (54, 58, 69, 75)},
    "policy.rules.kubernetes.x_check_cni_off_virtual_kubelet__mutmut_81":
        "letter case of the message's second clause (the reason) only (`cni pod`): the fix, the DaemonSet's name and "
        "the sentence form are unchanged; not behaviour, kept out of the score",
    "policy.rules.kubernetes.x_check_host_paths__mutmut_108":
        "letter case of the message's second clause (the reason) only: the fix (remove hostPath <path> (volume "
        "<name>) or add it to allowedHostPaths) and the sentence form are unchanged; not behaviour, kept out of the score",
    **{f"policy.rules.identity.{m}":
       "letter case of the message's last clause (the reason) only: the fix, the resource's name and the sentence "
       "form are unchanged; not behaviour, kept out of the score"
       for m in ("x_check_terway_credentials__mutmut_112", "x_check_terway_credentials__mutmut_113",
                 "x_check_ram_policy_wildcards__mutmut_70",
                 "x_check_roles_on_gpu_pools_only__mutmut_12", "x_check_roles_on_gpu_pools_only__mutmut_13",
                 "x_check_roles_on_gpu_pools_only__mutmut_31", "x_check_roles_on_gpu_pools_only__mutmut_32",
                 "x_check_cluster_role_secret_wildcards__mutmut_67", "x_check_cluster_role_secret_wildcards__mutmut_68",
                 "x_check_secret_wildcards__mutmut_91", "x_check_secret_wildcards__mutmut_92")},
    **{f"policy.rules.identity.x_check_terway_credentials__mutmut_{n}":
       "`default=None` for absent volumes: `items()` (policy/rules/common.py) reads None as the empty list"
       for n in (41, 44)},
    "policy.rules.identity.x__ak_findings__mutmut_1":
        "`not value and value == REDACTED` for `or`: the only value it lets through is REDACTED itself, \"[secret]\" "
        "(hybrid/redaction.py): 8 characters, under the 16 a key-named value needs, and no LTAI id, so no finding either way",
    **{f"policy.rules.identity.x_check{m}__mutmut_1":
       "default of `resource_type`, which the registration always passes (`pass_type=True` in resource_policy)"
       for m in ("_access_keys_in_secrets", "_secret_wildcards")},
    **{f"policy.rules.identity.x_check_access_keys_in_secrets__mutmut_{n}":
       "`inner = \"\"` for None: only read by `isinstance(inner, Mapping)`, false for both" for n in (25, 31)},
    "policy.rules.identity.x_check_access_keys_in_secrets__mutmut_26":
        "`isinstance(v, str) or ...` for `and`: ConfigMap data values are always strings (core/v1 ConfigMap "
        "data: map[string]string), so both read v.strip() on the same strings",
    **{f"policy.rules.identity.x_check_access_keys_in_secrets__mutmut_{n}":
       "default of an env entry's name: core/v1 EnvVar requires a name, and \"\", \"None\" and \"XXXX\" all fail "
       "the AccessKey name pattern alike" for n in (96, 98, 101)},
    **{f"policy.rules.identity.x__parent_chain__mutmut_{n}":
       "`getattr` without its default: every PolicyResource has a `parent` attribute (None at the root), so the "
       "default is never used" for n in (7, 20)},
    "policy.rules.identity.x__parent_chain__mutmut_13":
        "the cycle guard records None instead of the urn: Pulumi registers a parent before its children, so a parent "
        "chain has no cycle to stop",
    **{f"policy.rules.identity.x_check_secret_wildcards__mutmut_{n}":
       "the config handed to the ClusterRole check: check_cluster_role_secret_wildcards never reads it" for n in (4, 6)},
    **{f"policy.rules.network.{m}":
       "letter case of the message's last clause (the reason) only: the fix, the resource's name and the sentence "
       "form are unchanged; not behaviour, kept out of the score"
       for m in ("x_check_pod_vswitches_distinct__mutmut_42", "x_check_eni_config_zones__mutmut_194",
                 "x_check_eni_config_zones__mutmut_195", "x_check_cloud_node_label__mutmut_69",
                 "x_check_cloud_node_label__mutmut_70")},
    "policy.rules.network.x__ingress_accept__mutmut_17":
        "default policy \"ACCEPT\" for \"accept\": the policy is compared lower-cased (`str(policy).lower()`)",
    "policy.rules.network.x__port_range__mutmut_10":
        "`value or \"XXXX\"` for `or \"\"`: neither matches FROM/TO, so an absent portRange is malformed either way",
    "policy.rules.network.x__eni_conf__mutmut_15":
        "`json.loads` on a non-string eni_conf: ConfigMap data values are always strings (core/v1 ConfigMap data: "
        "map[string]string)",
    **{f"policy.rules.network.x__addon_vswitches__mutmut_{n}":
       "the key of the invalid-JSON marker: the caller only tests `isinstance(ids, dict)`" for n in (14, 15)},
    **{f"policy.rules.network.x__addon_vswitches__mutmut_{n}":
       "`conf.get(key)` without its guard: the addon config is a JSON object (alicloud_cs_kubernetes_addon config), "
       "and with an empty key `conf.get(\"\")` finds no list, so ids reads [] either way" for n in (18, 20)},
    "policy.rules.network.x_check_eni_config_zones__mutmut_22":
        "a vSwitch with one of id and zone unknown: mapped under an UNKNOWN key no string vswitchId equals, or to "
        "UNKNOWN, which is what `switch_zone.get(vsw, UNKNOWN)` gives for an unmapped id anyway",
    "policy.rules.network.x_check_eni_config_zones__mutmut_49":
        "`switch_zone.get(vsw, UNKNOWN)` for a vswitchId that is no string (None or UNKNOWN): no such key is mapped, "
        "so the default UNKNOWN comes back as the guarded branch gives",
    **{f"policy.rules.network.x_check_eni_config_zones__mutmut_{n}":
       "`break` for `continue` at the end of the addon loop: a cluster has one addon of a name (CS addon names are "
       "unique per cluster) and the stack registers one cluster, so there is no next Terway addon to skip" for n in (110, 115)},
    **{f"policy.rules.network.x_check_cloud_node_label__mutmut_{n}":
       "the text searched when userData is absent: \"\", \"None\" and \"XXXX\" hold no node label alike" for n in (56, 58)},
    **{f"hybrid.regions.x_closest__mutmut_{n}":
       "drops `n=3` / `cutoff=0.6` from difflib.get_close_matches, whose defaults are n=3 and cutoff=0.6 "
       "(Python docs, difflib.get_close_matches(word, possibilities, n=3, cutoff=0.6)): the same call"
       for n in (7, 8)},
    "hybrid.shtemplate.x_source__mutmut_10":
        "`encoding=\"UTF-8\"` for `\"utf-8\"`: codec names are case-insensitive, the same codec",
    "hybrid.shtemplate.x_source__mutmut_1":
        "`encoding=None` (the locale's) for utf-8: every shipped script is ASCII (tests/test_mutation_shtemplate.py "
        "checks it), which utf-8 and every locale encoding Python runs under decode alike",
    "hybrid.virtual_node.x_example_deployment__mutmut_71":
        "`runAsUser` 65533 for 65532 in the example pod: both non-root (all the restricted Pod Security Standard "
        "asks), and the pause container opens no file, so which non-root uid it runs as changes nothing",
    **{f"hybrid.elastic.x__tar_gz__mutmut_{n}":
       "the tar format left to tarfile's default: DEFAULT_FORMAT is PAX_FORMAT since Python 3.8 (the project "
       "requires 3.11), the same archive" for n in (4, 7)},
    "hybrid.elastic.x__tar_gz__mutmut_23":
        "`strip(\"XX/XX\")` strips the characters X and /: every bundled path starts with / and none starts or "
        "ends with X (fixed /etc, /usr, ... paths and lower-case dataset names), so the names are the same",
    **{f"hybrid.elastic.x__tar_gz__mutmut_{n}":
       "a fixed timestamp of 1 s instead of 0 (a member's mtime, the gzip header's): still byte-identical per config, "
       "and nothing on the node reads the boot files' mtimes (the script, systemd and kubeadm read contents)"
       for n in (39, 56, 73)},
    "hybrid.elastic.x__tar_gz__mutmut_70":
        "drops `compresslevel=9`: gzip.GzipFile's default compresslevel is 9, the same bytes",
    **{f"hybrid.elastic.x_pool_files__mutmut_{n}":
       "the boot-steps file's owner entry: the bundle (_tar_gz, the only reader of pool_files) records no owner and "
       "the script extracts with tar --no-same-owner as root, so the file is root's either way"
       for n in (24, 25, 26, 27)},
    "hybrid.agent.x_waiver_annotations__mutmut_2":
        "the owner named in the refusal of a waiver without a valid reason: every AGENT_WAIVERS reason is valid "
        "(tests/test_ack_agent.py), so the refusal and its text are never reached",
    "hybrid.agent.x_console_binding_annotations__mutmut_4":
        "the owner named in the refusal of a cluster-admin waiver under 10 characters: ADMIN_WAIVER_REASON is a "
        "fixed sentence far longer, so the refusal and its text are never reached",
    "hybrid.agent.x_uncovered_rules__mutmut_28":
        "adds `ours.get(ns)` for a cluster-scoped ClusterRole too: ns is \"\" there, and ours[\"\"] again is the "
        "same rules twice, the same coverage",
    **{f"hybrid.agent.x_sample_manifest__mutmut_{n}":
       "the offline stand-in's mount path of the credentials volume: no upstream source gives the console agent's, "
       "and the program copies the Deployment spec as fetched and reads no mount path" for n in (447, 448)},
    **{f"hybrid.agent.x_sample_manifest__mutmut_{n}":
       "the stand-in's YAML with keys in insertion order instead of sorted (or PyYAML's default, which sorts): every "
       "reader parses it (split_manifest), the objects are the same, and the same input still gives the same text"
       for n in (510, 512, 513)},
    "hybrid.model.elastic.xǁElasticPoolǁ_labels__mutmut_13":
        "`k.split(\"/\")[+1]` for `[-1]` in the fix's example: only a key with a prefix is refused (a bare key is in no "
        "namespace), and a LabelKey has one '/' at most (hybrid/model/base.py), so the split has exactly two parts",
    "hybrid.model.identity.x_required_secrets__mutmut_11":
        "`keys = [...]` for `keys += [...]`: it is the first addition, to the empty list, so both give the same list",
    "hybrid.model.pricing.x__price__mutmut_21":
        "`Decimal(repr(value))` for `Decimal(value)` of an int (bool is refused before): an int's repr is its decimal "
        "digits, which Decimal reads as the same value; only an int too long for repr (over 4300 digits, "
        "sys.int_info.default_max_str_digits) would differ, and the stack's reader refuses any over MAX_INT_DIGITS "
        "(hybrid/safeload.py: 18) before the model sees it",
    **{f"hybrid.model.elastic.xǁElasticPoolǁ_renderable__mutmut_{n}":
       "the cut of the inner refusal at ' Fix: ' (or at a misspelt marker, i.e. no cut): the re-raised FieldError's "
       "message is cut again at its first ' Fix: ' when it is reported (hybrid/errors.py validation_issues), and the "
       "first one is the inner refusal's, so the user reads the same message" for n in (24, 25, 26)},
    **{f"hybrid.model.elastic.xǁElasticPoolǁ_renderable__mutmut_{n}":
       "unreachable: every value node_pool() hands GpuPool was validated by ElasticPool with the same or a narrower type "
       "and bound (ElasticDataDisk size >= 40 against DataDisk's 20, the same patterns and lists), so GpuPool can only "
       "fail in its own field validators, which raise FieldError on a field name (loc without a list index): the "
       "generic branch and the camel-casing of an index never run" for n in (14, 28, 29, 30, 31, 32, 33, 34, 35)},
    "hybrid.cost.x_elastic_maxima__mutmut_27":
        "`disks_priced = None` for `False`: only its truth value is read (`not unpriced and disks_priced`, "
        "`elif not disks_priced`)",
    "hybrid.cost.x_elastic_maxima__mutmut_29":
        "`break` for `continue` after a disk without a price: disks_priced is already False, so the pool's maximum is "
        "left unpriced (\"disks\") and the remaining disks' prices are never read",
    **{f"hybrid.cost.x_elastic_maxima__mutmut_{n}":
       "message of an assertion that cannot fail (the model checks every table entry a pool needs; the assertion "
       "states why): no user reads it" for n in (31, 32, 38, 39)},
    "hybrid.cost.x_elastic_maxima__mutmut_56":
        "`sum(disks)` without the Decimal start: the pool's two disks are Decimals, and int 0 + a Decimal is the "
        "same Decimal",
    "hybrid.cost.xǁCostReportǁhour_with_elastic_max__mutmut_5":
        "`sum(...)` of the elastic hours without the Decimal start: self.hour is a Decimal, and Decimal + int 0 (no "
        "elastic pool) or + a sum of Decimals is the same Decimal",
    "hybrid.cost.x_placement_costs__mutmut_6":
        "a region's pool cost summed from int 0: it is an int only when the region has no pools, and then its GPU "
        "count is 0 too and no rate is set (compute makes a PoolCost for every pool, count 0 included)",
    "hybrid.cost.x_placement_costs__mutmut_72":
        "`idc_replicas = n` for `+= n`: the IDC is the only tier-0 cluster (placement_platform.fleet_clusters puts "
        "one FleetCluster at TIER_IDC, the hybrid cluster), so the sum has one term",
    **{f"hybrid.cost.x_placement_costs__mutmut_{n}":
       "default of `capacity.get(name, ...)`: the placement's capacity has an entry for every cluster it assigns "
       "(hybrid/placement.py place: assignments and capacity built over the same names)" for n in (77, 79, 80)},
    **{f"hybrid.cost.x_placement_costs__mutmut_{n}":
       "default of `TIER_NAMES.get(tier, ...)`: TIER_NAMES names all five tiers (IDC, cloud, elastic, Serverless, "
       "member) and every cluster has one of them" for n in (88, 90, 91)},
    "hybrid/scripts/hybrid-join-token.sh:newline-kept":
        "the token was read with $(<file), and bash's command substitution already strips every trailing newline: "
        "the ${token%$'\\n'} that the mutant removes never has one to strip",
    "hybrid/scripts/hybrid-join-token.sh:role-first-line-not-taken":
        "an ECS instance has at most one instance RAM role (ECS API AttachInstanceRamRole, help.aliyun.com/document_detail/54244.html: "
        "an instance that has one refuses another), "
        "so ram/security-credentials/ lists one name, and $(curl ...) strips its trailing newline: there is no second line to cut",
    "hybrid.cloudinit.x__dump__mutmut_3":
        "`sort_keys=None` for `False`: PyYAML's representer only tests its truth value (representer.py `if self.sort_keys`), "
        "and None is falsy: the keys stay in the order written",
    **{f"hybrid.cloudinit.x__dump__mutmut_{n}":
       "`allow_unicode=None` (given, or the default of yaml.dump when dropped) for `False`: both emitters only test its "
       "truth value (PyYAML's emitter.py `if not self.allow_unicode`; the libyaml CEmitter turns unicode on only "
       "when it is true), so non-ASCII is escaped either way "
       "(tests/test_mutation_cloudinit.py checks the escape)" for n in (6, 12)},
    "hybrid.cloudinit.x__dump__mutmut_10":
        "drops `default_flow_style=False`: yaml.dump's default is False (PyYAML >= 5.1, __init__.py dump_all), the same call",
    "hybrid.cloudinit.x_render_join_config__mutmut_79":
        "drops `sort_keys=True`: yaml.dump's default is True (PyYAML __init__.py dump_all), the same call",
    "hybrid.cloudinit.x_render_join_config__mutmut_80":
        "drops `default_flow_style=False`: yaml.dump's default is False (PyYAML >= 5.1), the same call",
    **{f"hybrid.cloudinit.x_render_join_config__mutmut_{n}":
       "the line width left at PyYAML's 80 (`width=None` or dropped): the emitter folds a scalar only at a space "
       "(emitter.py write_plain/write_double_quoted), and no scalar of a JoinConfiguration holds one: host:port, "
       "the checked sha256 hash (both callers run check_ca_hash first), label and taint keys and values of the "
       "Kubernetes grammar, fixed paths and @PLACEHOLDERS@" for n in (77, 81)},
    **{f"hybrid.model.gpu.x__bandwidth__mutmut_{n}":
       "the default of a missing instance type for the known-spec lookup: \"\", None and \"XXXX\" are all keys KNOWN "
       "lacks (every key is an ecs.<family>... type), so the lookup gives None either way" for n in (10, 12, 15)},
    **{f"hybrid.model.base.x__control_chars__mutmut_{n}":
       "the surrogate category Cs misspelt: no value reaching the check holds a lone surrogate, since pydantic refuses "
       "such a str itself (string_unicode) before any AfterValidator, and YAML/JSON loading refuses it earlier"
       for n in (11, 12, 13)},
    "hybrid.model.base.x__host__mutmut_9":
        "`\"://\" in value` misspelt: every value holding \"://\" holds \":\", which the next test of the same `or` refuses "
        "with the same message",
    "hybrid.model.base.x__host__mutmut_35":
        "an octet over 3 digits for one over 4: a dotted octet of 4 digits either starts with 0 (refused as a leading zero) "
        "or is at least 1000 (refused as above 255) in the same `or`",
    **{f"hybrid.model.base.x__host__mutmut_{n}":
       "the labels of an empty value: \"\".rstrip(\".\").split(\".\") is [\"\"] too, and \"XXXX\" is no lower-case label "
       "either, so \"\" is refused as not a DNS name with the same message" for n in (58, 64)},
    "hybrid.calico.x_routing_objects__mutmut_13":
        "`pod_pool(cni, None)`: pod_pool never reads idc (the patch names no cidr; the live cidr is compared by "
        "live_pool_mismatch), so the pool patch is the same",
    **{f"hybrid.calico.x_{fn}__mutmut_{n}":
       "the default of `spec.get(\"disabled\", ...)` None (given or left out) instead of False: an absent key then "
       "gives None, and `not None` is True like `not False`" for fn, n in (("patched", 10), ("patched", 12), ("adopted", 20), ("adopted", 22))},
    **{f"hybrid.preflight.x_runner__mutmut_{n}":
       "the name the runner's module is loaded under: it is not put in sys.modules and nothing looks it up by name; "
       "the module's functions are the same" for n in (6, 7)},
    "hybrid.preflight.x_runner__mutmut_8":
        "`spec is not None or spec.loader is not None`: spec_from_file_location of an existing .py file always gives a "
        "spec with a SourceFileLoader, so both hold",
    **{f"hybrid.preflight.{m}":
       "what a need without a path gets: unreachable, a platform that loads has a path for every need "
       "(hybrid/model/node_access.py check refuses a need `resolve` finds none for, naming the field)"
       for m in ("x__served_from_idc__mutmut_2", "x__fixes__mutmut_21", "x__fixes__mutmut_23", "x__fixes__mutmut_24")},
    "hybrid.preflight.x__transport__mutmut_6":
        "the host of a URL without one: every URL handed to _transport names a host (mirrors and apt URLs pass "
        "node_access._url, which refuses a URL without a host; the others are built as https://HOST:PORT)",
    **{f"hybrid.preflight.x_checks__mutmut_{n}":
       "default mode \"XXnodeXX\"/\"NODE\" for \"node\": the mode is only compared with \"idc\", so any other value "
       "selects every check, as \"node\" does" for n in (1, 2)},
    "hybrid.preflight.x_checks__mutmut_94":
        "`path not in (\"\", \"XX/XX\")` for `(\"\", \"/\")`: a mirror endpoint is stored without its trailing '/' "
        "(node_access._url strips it; tests/test_mutation_preflight.py), so a contact's path is never \"/\"",
    **{f"policy.rules.compute.{m}":
       "`default=None` (or none) for an absent list: `items()` (policy/rules/common.py) reads None as the empty list, "
       "so the loop sees nothing either way"
       for m in ("x__node_pool_gpu_type__mutmut_4", "x__node_pool_gpu_type__mutmut_7",
                 "x_check_data_disks_kept__mutmut_29", "x_check_data_disks_kept__mutmut_32",
                 "x_check_disks_encrypted__mutmut_83", "x_check_disks_encrypted__mutmut_86")},
    **{f"policy.rules.compute.x__public_bandwidth__mutmut_{n}":
       "`default=None` (or none) for an absent internetMaxBandwidthOut: it is read as `(bw or 0) > 0`, so None and 0 "
       "both mean no public IP" for n in (4, 7)},
    **{f"policy.rules.compute.{m}":
       "`default=None` (or none) for an absent boolean flag: the flag is only compared `is True`, which neither False "
       "nor None is"
       for m in ("x_check_gpu_no_public_ip__mutmut_20", "x_check_gpu_no_public_ip__mutmut_24",
                 "x_check_gpu_no_public_ip__mutmut_68", "x_check_gpu_no_public_ip__mutmut_71",
                 "x_check_data_disks_kept__mutmut_9", "x_check_data_disks_kept__mutmut_12")},
    "policy.rules.compute.x_check_data_disks_kept__mutmut_45":
        "the guard `disk is not UNKNOWN` made always true: `get()` of any path under UNKNOWN returns UNKNOWN "
        "(policy/rules/common.py), the value the guard's else branch gives",
    **{f"policy.rules.compute.x_check_data_disks_kept__mutmut_{n}":
       "`default=None` (or none) for MISSING on an inline disk's deleteWithInstance: the next test is `v is MISSING "
       "or v is None`, one branch for both" for n in (48, 51)},
    **{f"policy.rules.compute.x_check_disks_encrypted__mutmut_{n}":
       "the default of a node pool's absent data-disk flag (\"false\" -> False, \"XXfalseXX\", \"FALSE\"): it is only "
       "tested `in (\"true\", True)`, which none of them is, so all read as not encrypted" for n in (110, 112, 113)},
    **{f"policy.rules.compute.x_check_virtual_node__mutmut_{n}":
       "the name of a default region without a region key (\"?\"): unreachable, `_region_entries` keeps only objects "
       "with one of _VN_REGION_KEYS" for n in (83, 85, 88)},
    "policy/__main__.py:pack-level-advisory":
        "the pack's own level applies only to a policy without one (pulumi-policy policy.py _get_enforcement_level), "
        "and every policy of the pack is declared with its level (`level=` is required by resource_policy and "
        "stack_policy, policy/rules/common.py)",
    "policy.rules.common.x_decoded_user_data__mutmut_26":
        "codec \"UTF-8\" for \"utf-8\": Python's codec registry normalises the name, the same codec",
    "policy.rules.common.x_get__mutmut_17":
        "`key <= len(cur)` for `<`: at key == len(cur) the lookup raises IndexError (a list, str or pulumi-policy "
        "_ListProxy) or KeyError (a mapping), which the except turns into the same default",
    "policy.rules.common.x_get__mutmut_21":
        "`cur[key]` tried without `key in cur`: the values get() walks are dicts and pulumi-policy's proxies over "
        "deserialized JSON, whose lookup of a missing key raises KeyError, caught into the same default",
    "policy.rules.common.x_get__mutmut_4":
        "the no-elements guard made false for a value without __len__: `len(cur)` then raises TypeError, which the "
        "except turns into the same default",
    **{f"policy.rules.common.xǁ_Unknownǁ__repr____mutmut_{n}":
       "the marker's repr: no violation message formats UNKNOWN (every rule tests `is UNKNOWN` before it uses a "
       "value), so only a debugger shows it" for n in (1, 2)},
    "hybrid.usage.x_recommend__mutmut_4":
        "`share > RENEW_AT` for `>=`: recommend runs for fixed pools only, whose paid is count x GPUs per instance x "
        "hours (hybrid_tools/usage_cli.py), so at exactly 50 % the shrink branch computes ceil(count) = count and "
        "answers renew with the same count",
    **{f"hybrid.usage.xǁUsageReportǁowners__mutmut_{n}":
       "gpus_per_instance / count of an owner row: owner rows are only rendered (doc row(), render rows()), and "
       "neither reads those two fields" for n in (17, 18, 44, 45)},
    "hybrid.usage.xǁUsageReportǁowners__mutmut_57":
        "sum without the Decimal(0) start: an owner has at least one pool, so when every cost is known the list is "
        "non-empty and int 0 + Decimal is the same Decimal",
    "hybrid.usage.xǁUsageReportǁdoc__mutmut_53":
        "r(x, ) for r(x, 4): r's default is 4 places, the same call",
    "hybrid.fleet.x__both__mutmut_4":
        "`descending=None` for `False`: karmada_static_divisions reads it only as a truth value "
        "(`-i if descending else i`, `-rank if descending else rank`), and None is falsy",
    "hybrid.fleet.x__version__mutmut_6":
        "`lstrip(\"XXvXX\")` strips the characters X and v: a Karmada version is `v` then digits and dots, "
        "with no X, so the same digits are left",
    "hybrid.fleet.x_choose_static_weights__mutmut_42":
        "always `max(dev, deviation(descending[n], ...))`: where the two UID orders divide alike, "
        "the descending deviation is `dev` itself, so max gives the same number",
    "hybrid.fleet.x_choose_static_weights__mutmut_60":
        "`<=` for `<` between scores: a score's last element is its source count and each count is tried once, "
        "so two scores are never equal",
    "hybrid.fleet.x_compact__mutmut_2":
        "`run = None` for `[]` at the start: before its first assignment run is read only for its truth value "
        "(`if run and ...`, `if run:`), and None is falsy like []",
    "hybrid.fleet.x_engine_division__mutmut_34":
        "members with 0 available passed on too (`v >= 0`): karmada_static_divisions drops weight-0 clusters "
        "whenever one is positive, and a group reaches it only when its available replicas cover n > 0",
    **{f"hybrid.fleet.x_form_issues__mutmut_{n}":
       "unreachable: the clusterAffinities branch runs only for a version in SCHEMA_VERSIONS (else the "
       "first branch refuses it), and the only stored version, v1.18.2 (tests/data/karmada-v1.18.2), is "
       "after v1.5.0, so neither the comparison nor the refusal built there is ever reached"
       for n in (18, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31)},
    "hybrid.fleet.x_karmada_static_divisions__mutmut_11":
        "all weights 0 kept as votes of 0 instead of equal votes: every quotient is then 0, so each seat goes "
        "by Webster's tie-break (fewer seats, then the name order), the same sequence equal votes give",
    "hybrid.fleet.x_karmada_static_divisions__mutmut_13":
        "equal votes of 2 instead of 1 when all weights are 0: Webster's order depends on the ratios of the "
        "votes only, and 2:2:... divides as 1:1:...",
    **{f"hybrid.model.node_access.xǁNeedǁport__mutmut_{n}":
       "split for rsplit, or another maxsplit, on an endpoint with one ':': a registry is domain[:port] by the "
       "distribution grammar (RegistryMirror._upstream, imageref), a tcp endpoint HOST:PORT whose host is an IPv4 "
       "address or a DNS name (Host, NodeAccess._hostport), so every split yields the port at [1]"
       for n in (10, 11, 13, 25, 26, 28)},
    "hybrid.model.node_access.x_apiserver_service_env__mutmut_4":
        "partition for rpartition on controlPlaneEndpoint: NodeAccess._hostport admits only HOST:PORT with an IPv4 or DNS "
        "host, one ':' in all, so both split at the same place",
    "hybrid.model.node_access.x__fix__mutmut_20":
        "`or` for `and` in the apt fix's test: the only apt/http needs outside nodeAccess.regions.<id>.apt are the "
        "metadata service, the join token and the elastic node script, whose hosts (100.100.100.200, the region's OSS "
        "internal endpoint) always resolve, so _fix never gets one; and every need whose field is under .apt is apt or http",
    **{f"hybrid.placement_platform.x__present__mutmut_{n}":
       "the default of capacity.get / assignments.get: every name of wp.tiers is a candidate of the placement, so "
       "both maps hold it and the default is never read" for n in (5, 7, 8, 10, 12, 13)},
    "hybrid.gpu_metrics.x_rules__mutmut_7":
        "format 'G' for 'g': the two differ only in the exponent's case, which appears only for thresholds below 1e-4, "
        "and PromQL reads 1e-05 and 1E-05 as the same number (a float literal parsed by Go's strconv.ParseFloat)",
    **{f"hybrid.gpu_metrics.x_rules_text__mutmut_{n}":
       "sort_keys=None is falsy like False (no sorting), and a width of 1001 for 1000 folds nothing: the longest rules "
       "line is about 260 characters" for n in (3, 10)},
    **{f"hybrid.gpu_metrics.x_scrape_text__mutmut_{n}":
       "sort_keys=None is falsy like False, and no width (PyYAML's 80) or 1001 folds nothing: the longest scrape line "
       "is 64 characters" for n in (3, 4, 7, 12)},
    "hybrid.gpu_metrics.x_objects__mutmut_39":
        "owner None for '': daemonset() adds the lease-owner label only for a truthy owner, so both give none",
    **{f"hybrid.pricing_api.xǁPricingClientǁ_client__mutmut_{n}":
       "the message of a credential client that fails to be made: unreachable with alibabacloud-credentials 1.0.12 "
       "(requirements.txt), whose Client raises at construction only for an empty AccessKey id or secret "
       "(provider/static_ak.py; this code passes a pair only when both are set) or for a disabled ECS metadata "
       "provider (provider/ecs_ram_role.py; the default chain leaves it out then, provider/default.py); a missing "
       "credential surfaces at the call instead (tests/test_mutation_pricing_api.py)" for n in (7, 8)},
    **{f"hybrid.model.node_access.xǁNeedǁhost__mutmut_{n}":
       "the host of a registry or tcp endpoint, which holds at most one ':' (see Need.port): with no ':' rsplit gives "
       "the endpoint itself, with one every split and maxsplit give the same [0]" for n in (7, 11, 12, 14)},
    "hybrid.model.node_access.x_resolve__mutmut_13":
        "the fallback of a mirror endpoint without a host: RegistryMirror._endpoint (_url) refuses a URL without one, "
        "so urlsplit(...).hostname is never empty here",
    "hybrid.model.node_access.x_resolve__mutmut_18":
        "None for False as the mirror's idc flag: resolve_host reads it only as `not idc`, the same for both",
    "hybrid.model.node_access.x__merge__mutmut_28":
        "`and` for `or` when merging the idc flag: needs merge only on the same (kind, endpoint), and every need of a kind "
        "has the same flag (tcp: the apiserver and cluster-info's server, both IDC; rsync: IDC; apt, http, registry: "
        "never), so both operands are equal",
    "hybrid.partial.x__partial_class__mutmut_3":
        "types.new_class(..., None, ...) for {}: None is new_class's default for kwds, the same class results",
    "hybrid.partial.xǁ_Builderǁ__init____mutmut_7":
        "range(len(loc) + 2): loc[:i] past the end is loc itself, so the extra prefix adds nothing to touched",
    **{f"hybrid.pricing_api.xǁPricingClientǁ_price__mutmut_{n}":
       "`getattr` without its default on the response's `body` / the body's `price_info`: the SDK's models always "
       "have both attributes (alibabacloud-ecs20140526 models DescribePriceResponse.body, "
       "DescribePriceResponseBody.price_info, None when the answer lacks it), so the default is never used"
       for n in (84, 89)},
    **{f"hybrid.pricing_api.xǁPricingClientǁ_price__mutmut_{n}":
       "`RuntimeOptions(autoretry=None/True)` for False: alibabacloud-tea-openapi 0.4.6 never reads autoretry on the "
       "request path (darabonba runtime.py only stores it), so the same single request is sent" for n in (69, 70)},
    **{f"hybrid.ack_api.{m}":
       "the SDK call's headers `None` for `{}`: tea-openapi 0.4.6 client.py do_request merges them into its own with "
       "DaraCore.merge, which skips None, so the same headers are sent"
       for m in ("xǁAckClientǁdescribe_cluster__mutmut_13", "xǁAckClientǁmodify_cluster__mutmut_18",
                 "xǁAckClientǁdelete_cluster__mutmut_14", "xǁAckClientǁdescribe_agent__mutmut_25",
                 "xǁAckClientǁcreate_cluster__mutmut_16")},
    **{f"hybrid.ack_api.x__sdk_error_fields__mutmut_{n}":
       "the default of `getattr(exc, ...)` for data, status_code or code: _sdk_error_fields is only called for an "
       "AlibabaCloudException, which always sets data, status_code, code, message and request_id (tea-openapi 0.4.6 "
       "exceptions/_alibaba_cloud.py, darabonba exceptions.py DaraException), None when unknown, so the default is "
       "never used" for n in (7, 15, 31, 34, 37, 52, 55, 58, 74, 77, 80)},
    **{f"hybrid.ack_api.xǁAckClientǁsdk__mutmut_{n}":
       "the SDK Config's read/connect timeout left out: every call passes RuntimeOptions with both (_runtime), and "
       "tea-openapi 0.4.6 client.py takes `runtime.read_timeout or self._read_timeout` (and connect alike), so the "
       "Config's value is never read" for n in (8, 9, 14, 15)},
    **{f"hybrid.ack_api.xǁAckClientǁ_runtime__mutmut_{n}":
       "a call's RuntimeOptions without its read/connect timeout: the SDK then takes the Config's (tea-openapi 0.4.6 "
       "client.py `runtime.read_timeout or self._read_timeout`), which sdk() sets to the same values" for n in (1, 2, 3, 4)},
    "hybrid.ack_api.xǁAckClientǁ_call__mutmut_8":
        "`range(1, attempts + 2)`: the loop raises at `attempt == self.retry.attempts` before the extra round",
    **{f"hybrid.ack_api.xǁAckClientǁ_call__mutmut_{n}":
       "`last` and the statements after the loop: the loop always returns or raises (the last attempt raises), so "
       "they never run" for n in (1, 21, 26)},
    "hybrid.ack_api.xǁAckClientǁcreate_cluster__mutmut_7":
        "`idempotent=None` for False: classify only reads its truth value (`if idempotent`)",
    "hybrid.ack_api.xǁAckClientǁcreate_cluster__mutmut_24":
        "`response.body.cluster_id` without the guard on body: as for DescribeExternalAgent, the SDK's "
        "create_cluster_with_options builds CreateClusterResponse with its body from every answer it parsed",
    "hybrid.ack_api.xǁAckClientǁdescribe_agent__mutmut_34":
        "`response.body.config` without the guard on body: the SDK builds the response with its body model from "
        "every answer it parsed (alibabacloud-cs20151215 7.2.3 client.py describe_external_agent_with_options: "
        "DaraCore.from_map(DescribeExternalAgentResponse(), call_api(...)), the body always in the map), so body is "
        "never None there",
    **{f"hybrid.cni.x_{fn}__mutmut_{n}":
       "the prose of a scanner waiver's reason, XX-padded or re-cased: the waiver still names the same check (or init "
       "container) on the same object, without '=' and over the policy pack's 10 characters; checkov, kube-linter "
       "and the pack read the id and only require some reason (hybrid/waivers.py), people read the text"
       for fn, ns in (("terway_daemonset", (550, 551, 552, 557, 558, 559, 564, 565, 566, 577, 578, 581, 582, 583,
                                            586, 587, 588, 595, 596, 599, 600, 601, 606, 607, 610, 611, 612, 615,
                                            616, 617, 618, 619)),
                      ("kube_proxy_cloud_daemonset", (323, 324, 327, 328, 331, 332, 333, 336, 337, 342, 343, 344, 347, 348,
                                                      361, 362, 365, 366, 369, 370, 375, 376, 379, 380, 381, 384, 385, 386)))
       for n in ns},
    "hybrid.cni.x__cm_env__mutmut_1":
        "default of `optional` True instead of False: never read, the one caller (terway-init's DISABLE_POLICY) "
        "passes optional=True",
    "hybrid.cni.x_kube_proxy_config_map__mutmut_32":
        "`kube_proxy_cloud_config(None)`: that function never reads its cni argument (the config is the same for "
        "every stack), so config.conf is the same",
    **{f"hybrid.cni.x__terway_binding__mutmut_{n}":
       "the (Cluster)RoleBinding's own name XXterwayXX / TERWAY: RBAC authorises by roleRef and subjects, nothing "
       "refers to a binding by name, and both are valid RBAC object names (path segment names allow upper case)"
       for n in (16, 17)},
    "hybrid.placement_platform.x_fleet_summary__mutmut_44":
        "wp.at(current) for wp.result: at() runs place() again on the result's own candidates (same order, capacity, "
        "tier), its effective weights (place() uses capacity as weight for dynamic/aggregated and the all-zero rule "
        "already applied for static), previous, pending and tie key, so at the current count it returns the same plan",
    **{f"hybrid.placement_platform.x_fleet_summary__mutmut_{n}":
       "the groups / overflow arguments of a static engine_division: with static=True it returns Webster over the "
       "weights before reading either (hybrid/fleet.py engine_division)" for n in (159, 161, 168)},
    **{f"hybrid.placement_platform.x_propagation_policy__mutmut_{n}":
       "json.dumps' sort_keys (None, absent, False) on the assignments annotation: the dict is built from "
       "sorted(items), so its keys are already in order and the text is the same" for n in (10, 12, 14)},
    **{f"hybrid.placement_platform.xǁWorkloadPlacementǁat__mutmut_{n}":
       "the weight at() passes for a dynamic or aggregated workload (the result's weight, or 2, for 1): place() "
       "weighs those strategies by capacity and never reads the candidates' weights (hybrid/placement.py)"
       for n in (12, 16)},
    "hybrid.placement_platform.xǁWorkloadPlacementǁweight_choice__mutmut_9":
        "wp.at(current) for wp.result: the same plan (see x_fleet_summary__mutmut_44)",
    "hybrid.placement_platform.x_topology__mutmut_45":
        "member ids of a Fleet that is not enabled: the model refuses members without fleet.enabled, so the "
        "comprehension is empty either way",
    "hybrid.placement_platform.x_plan_placement__mutmut_44":
        "running >= 0 for > 0: consuming 0 replicas takes nothing from any capacity source",
    "hybrid.placement_platform.x_plan_placement__mutmut_53":
        "no configured weights read as 0 for every cluster: place() replaces all-zero weights by equal ones (1), "
        "the same weights as the original",
    "hybrid.placement_platform.x_plan_placement__mutmut_95":
        "new >= 0 for > 0: consuming 0 replicas takes nothing from any capacity source",
    "hybrid.placement_platform.x_fleet_clusters__mutmut_105":
        "members of a Fleet that is not enabled: the model refuses members without fleet.enabled, so the loop is "
        "empty either way",
    **{f"hybrid.placement_platform.x_check_topology__mutmut_{n}":
       "has_members of form_issues (None / bool(None) for bool(members)): it only gates the clusterAffinities "
       "version refusal, which needs a version below v1.5.0, and every version form_issues accepts past its first "
       "check is one of SCHEMA_VERSIONS (v1.18.2 only)" for n in (40, 45)},
    "hybrid.model.platform.x__keys_at__mutmut_9":
        "`and` for `or` in the skip: an int part then reaches the field lookup, which no int matches (field names are "
        "str), so nxt stays empty and `nxt or current` keeps current; a str part with no current model finds no field "
        "and keeps the empty list: the same keys either way",
    **{f"hybrid.gpu_metrics.x_rules__mutmut_{n}":
       "COUNT / SUM for count / sum: PromQL keywords are case-insensitive (prometheus/promql/parser/lex.go looks "
       "identifiers up lower-cased), and promtool evaluates both rule files to the same hand figures" for n in (22, 24)},
    "hybrid_tools.policy_config.x__entry__mutmut_7":
        "copy.copy for deepcopy of a file's entry: effective hands _entry an entry of its own deep copy of the file "
        "(and replaces it whole), drift only reads the entry, so no nested value is ever shared with the caller",
    "hybrid_tools.cost_diff.x__load__mutmut_10":
        "encoding 'UTF-8' for 'utf-8': two spellings of the same codec (Python's codec lookup ignores case)",
    "hybrid_tools.cost_diff.x__load__mutmut_8":
        "encoding None (the locale's) for 'utf-8': Python 3.7+ reads a C/POSIX locale as UTF-8 (PEP 538/540) and "
        "every environment the tool runs in (CI, the plan image, this machine) has a UTF-8 locale; the interpreter "
        "fixes its locale encoding at start, so no in-process test can pick another",
    "hybrid_tools.cost_diff.x__load__mutmut_85":
        "default 1 for 0 of a total's missing monthly: the value is only checked to be a number here (both are); "
        "lines reads the total with its own default",
    **{f"hybrid_tools.cost_diff.x_lines__mutmut_{n}":
       "default of a pool's missing basis ('' -> None, 'XXXX', or no default): str() of each does not start with "
       "'spot', so a pool without basis gets no upper-bound note either way" for n in (146, 148, 152)},
    **{m: "the SDK Config's region_id left out: with an endpoint given, alibabacloud-cs20151215 client.py "
          "get_endpoint returns it before reading the region, and tea-openapi 0.4.6 passes region_id on only to "
          "interceptors (none registered); AckClient always gives endpoint_for(region)"
       for m in ("hybrid.ack_api.xǁAckClientǁ__init____mutmut_3", "hybrid.ack_api.xǁAckClientǁsdk__mutmut_5",
                 "hybrid.ack_api.xǁAckClientǁsdk__mutmut_11")},
    **{f"hybrid_tools.stackconfig.x__check_foreign__mutmut_{n}":
       "n=2 or the default n=3 for n=1 in get_close_matches: it returns the best match first, and only close[0] "
       "is shown" for n in (18, 22)},
    **{f"hybrid_tools.stackconfig.x__kind__mutmut_{n}":
       "the fallback name of a type outside the table: safeload.load_yaml yields only mappings, lists, strings, "
       "numbers, booleans and null (it refuses timestamps, sets, binary), and read_stack turns a null file or "
       "config into {} before _kind is asked" for n in (2, 4, 16)},
    "hybrid_tools.stackconfig.x_read_stack__mutmut_166":
        "raw.pop(key) without a default: a project key with a plain value is always put in raw a few lines above "
        "(retired keys never reach the engine), so the key is always there",
    "hybrid_tools.stackconfig.x_read_stack__mutmut_176":
        "'' for None as platform's initial value: it is replaced by load_platform, or load_platform raised, "
        "issues is then not empty and read_stack raises before platform is used",
    "hybrid_tools.stackconfig.x_read_stack__mutmut_183":
        "None for [] as needed when the model is invalid: issues is then not empty and read_stack raises "
        "before needed is read",
    **{f"hybrid_tools.wait_gpus.x_evaluate__mutmut_{n}":
       "the default of an absent nvidia.com/gpu quantity: None (or no default) reads as 0 through _quantity, like 0"
       for n in (77, 79)},
    **{f"hybrid_tools.wait_gpus.x_evaluate__mutmut_{n}":
       "the default of a found Node's metadata: a Node is found only by its metadata.name or its host label, so it "
       "always has metadata" for n in (142, 144)},
    "hybrid_tools.wait_gpus.xǁClientǁ__init____mutmut_12":
        "`decode(\"UTF-8\")` for `\"utf-8\"`: Python's codec lookup ignores case, both name the same codec",
    "hybrid_tools.wait_gpus.xǁClientǁ_tls__mutmut_5":
        "`check_hostname = None` for `False`: ssl.SSLContext.check_hostname stores the truth value (None reads back False)",
    "hybrid_tools.wait_gpus.x_poll__mutmut_8":
        "the text said before the first poll: the first text is never \"\" nor \"XXXX\" (always a count or "
        "`apiserver: ...`), so the first line is printed either way",
    "hybrid_tools.references.x_check__mutmut_24":
        "the path a walk starts at: None or \"\", both falsy, so the first key alone starts the path",
    "hybrid_tools.references.x_check__mutmut_82":
        "`rstrip(\"XX[]{}XX\")` for `rstrip(\"[]{}\")` (a set of characters): it strips an X too, and no input key a "
        "REFERENCES path starts with ends in X",
    **{f"hybrid_tools.references.x__cluster__mutmut_{n}":
       "`split(\"/\")[0]` / `split(\"/\", 2)[0]` for `split(\"/\", 1)[0]`: the first piece is the same whatever the "
       "split limit" for n in (31, 34)},
    **{f"hybrid_tools.references.x_check_kubernetes__mutmut_{n}":
       "which kinds' keys are read: keys are compared only when a key is asked for, which only ConfigMap and Secret "
       "references do (and no Secret is in EXISTING), so the keys of any other kind are never compared"
       for n in (46, 58, 64, 65, 66)},
    "hybrid_tools.provider_ids.x__rule_cidr__mutmut_1":
        "`cidr = None` for `\"\"` before the sources are read: when none is set it is only read as `cidr or ...`, "
        "and None and \"\" are both falsy",
    **{f"hybrid_tools.validators.x__decorator_name__mutmut_{n}":
       "the name of a decorator or call that is neither a name nor an attribute (a subscript, a call's result): "
       "only compared with validator and policy decorator names, which neither \"\" nor None nor \"XXXX\" is"
       for n in (8, 14)},
    **{f"hybrid_tools.validators.{m}":
       "`encoding=\"UTF-8\"` for `\"utf-8\"`: Python's codec lookup ignores case, both name the same codec"
       for m in ("x_discover__mutmut_12", "x_discover__mutmut_105", "x_write__mutmut_5", "x_write__mutmut_13")},
    "hybrid_tools.artifacts.x_dump_yaml__mutmut_8":
        "sort_keys=True dropped: PyYAML's dump defaults to sort_keys=True (pinned PyYAML 6.0.3, yaml/__init__.py "
        "dump_all), so the keys are sorted either way",
    "hybrid_tools.artifacts.x_dump_yaml__mutmut_9":
        "default_flow_style=False dropped: PyYAML's dump defaults to default_flow_style=False (since 5.1; pinned "
        "6.0.3, yaml/__init__.py dump_all), so collections are block style either way",
    "hybrid_tools.agent_artifacts.x_registered_cluster_state__mutmut_20":
        "token=agent.REDACTED dropped: hybrid/agent.py sample_manifest's token defaults to agent.REDACTED, so the "
        "manifest carries the same placeholder (the argument says so where the mock answers)",
    **{f"hybrid_tools.elastic_artifacts.x__arrays__mutmut_{n}":
       "rindex for index of a header marker: shtemplate.render writes BEGIN and END once each (the template holds "
       "neither; every value is one shlex-quoted word of a line), so the first and last are the same" for n in (3, 5)},
    "hybrid_tools.elastic_artifacts.x__unpack__mutmut_4":
        "mode \"r:gz\" dropped: tarfile.open's default \"r\" is \"r:*\", which opens gzip transparently, and "
        "every bundle is a gzip'd tar (hybrid/elastic.py)",
    **{f"hybrid_tools.elastic_artifacts.x_elastic_pools__mutmut_{n}":
       "snapshots.yaml without NO_WRAP (width None or dropped: PyYAML's 80): PyYAML folds a plain or single-quoted "
       "scalar only at a space, and every value here is a name, id, label key/value or number (no spaces)"
       for n in (130, 134)},
    "hybrid_tools.elastic_artifacts.x_elastic_pools__mutmut_132":
        "sort_keys=True dropped: PyYAML's dump defaults to sort_keys=True (pinned 6.0.3, yaml/__init__.py dump_all)",
    "hybrid_tools.elastic_artifacts.x_elastic_pools__mutmut_133":
        "default_flow_style=False dropped: PyYAML's dump defaults to it (pinned 6.0.3, yaml/__init__.py dump_all)",
    "hybrid_tools.elastic_artifacts.x_elastic_pools__mutmut_143":
        "the sort key of a node pool without a pool tag, \"XXXX\" for \"\": pool names are DNS labels starting with "
        "a lower-case letter (hybrid/model/base.py Name), which sort after both, so the order is the same",
    **{f"hybrid_tools.configdoc.x__ref_name__mutmut_{n}":
       "rsplit(\"/\") or rsplit(\"/\", 2) for rsplit(\"/\", 1): the last piece is the same whatever the split limit"
       for n in (5, 8)},
    "hybrid_tools.configdoc.x__anchor__mutmut_12":
        "\"XX-_XX\" for \"-_\" among the kept characters: the title is lower-cased first, so no X is left to keep "
        "(and x is kept as alphanumeric either way)",
    **{f"hybrid_tools.configdoc.x__limits__mutmut_{n}":
       "the null branch of an anyOf let through: a {\"type\": \"null\"} branch has no limit, its _limits is \"\", "
       "and the join drops empty parts" for n in (51, 52, 53, 55, 56)},
    "hybrid_tools.configdoc.x_render__mutmut_2":
        "by_alias=None for True: pydantic 2.14's model_json_schema treats None as its default, the aliases "
        "(tests/test_mutation_tools_configdoc.py renders maxSize, an alias, through render)",
    "hybrid_tools.configdoc.x_data__mutmut_1":
        "by_alias=None for True: pydantic 2.14's model_json_schema treats None as its default, the aliases "
        "(tests/test_mutation_tools_configdoc.py reads maxSize, an alias, from data)",
    **{f"hybrid_tools.configdoc.x_render__mutmut_{n}":
       "the default of schema.get(\"properties\") in the key check: pydantic writes \"properties\" into every "
       "model's schema, an empty model's too ({\"properties\": {}, ...}), so the default is never used"
       for n in (49, 51)},
    "components.elastic.xǁElasticPoolsǁ__init____mutmut_127":
        "`[:65]` for `[:64]` on the elastic node role's name: hybrid-<environment>-<region>-elastic-node is at most 42 "
        "characters (environment dev/staging/prod, a region id of hybrid/regions.py at most 14), so no cut happens",
    "components.elastic.xǁElasticPoolsǁ_create_autoscaler__mutmut_28":
        "\"\" for None as autoscaler_policy_attachment without a RAM user: no caller reads the attribute (grep "
        "components/ hybrid_tools/ __main__.py), and no resource is declared either way",
    **{f"components.cni.xǁTerwayAddonǁ__init____mutmut_{n}":
       "the region's ipv6 flag handed to the terway-eniip config (None, or left to the False default): "
       "hybrid/cni.py addon_config never reads TerwayRegion.ipv6 (the component's config has no IP-stack key)"
       for n in (26, 30)},
    "components.cni.xǁDualCniǁ__init____mutmut_47":
        "idc handed to calico.installation_patch as None: the Installation patch is built from cni alone "
        "(hybrid/calico.py installation_patch never reads idc)",
    "components.cni.xǁDualCniǁ__init____mutmut_100":
        "cni handed to kube_proxy_config_map as None: the cloud kube-proxy's ConfigMap is fixed "
        "(hybrid/cni.py kube_proxy_config_map and kube_proxy_cloud_config never read cni)",
    "components.cni.xǁDualCniǁ__init____mutmut_120":
        "cni handed to terway_rbac as None: Terway's ServiceAccount and roles are fixed (hybrid/cni.py terway_rbac "
        "never reads cni)",
    **{f"components.cni.xǁDualCniǁ__init____mutmut_{n}":
       "the checksum or apiserver of `ds_obj`, the Terway DaemonSet rendered only for its apiVersion, kind and "
       "metadata: its spec (the only part that carries either) is replaced by the `spec=ds_spec` override"
       for n in (169, 170, 173, 174, 175)},
    **{f"components.cni.xǁDualCniǁ_declare__mutmut_{n}":
       "`kind` no longer left out of the typed class's arguments: every pulumi-kubernetes typed class takes "
       "`kind` and sets its own regardless (pulumi_kubernetes core/v1/ConfigMap.py, apps/v1/DaemonSet.py: "
       "__props__.__dict__[\"kind\"] = '<Kind>'), so the same object is sent"
       for n in (20, 21)},
    **{f"components.config.x_read_platform__mutmut_{n}":
       "the value of an unset kubeconfig variable ('' -> None, or get's own None): `not path` is true for both, so "
       "every unset variable adds its ConfigIssue and read_platform raises before the secrets it went into are "
       "returned" for n in (26, 28)},
    "components.join_token.xǁJoinTokenStoreǁ__init____mutmut_31":
        "versioned=None for False: private_bucket reads it only as the condition of `... if versioned else None`, "
        "false for both, so the bucket gets no versioning block either way",
    "components.calico.xǁCalicoRoutingǁ__init____mutmut_12":
        "'' for None as live_pool_check's initial value: routing_objects always ends its adopted objects with the "
        "pod pool, a patch (hybrid.calico.patched), whose check replaces the initial value in every build",
    "components.calico.xǁCalicoRoutingǁ__init____mutmut_17":
        "routing_objects(cni, None, cloud): it hands idc only to pod_pool, which never reads it (cidr and blockSize "
        "are never written; the live pool is compared instead, with args.idc)",
    **{f"components.calico.xǁCalicoRoutingǁ__init____mutmut_{n}":
       "the stage of a non-adopted object (-2 for -1) or the `n > 0` guard (`n >= 0`, always true): done holds only "
       "adopted objects, at stages 0..2, so done.get(n - 1, []) is [] for n = 0, -1 and -2 alike, as the guard's "
       "else gives" for n in (37, 40, 47)},
    "components.calico.xǁCalicoRoutingǁ__init____mutmut_102":
        "None recorded in done for the pod pool patch: it is the last stage of CUTOVER_ORDER (IPPool, 2), and "
        "done[2] is read only by a stage 3, which does not exist",
    "hybrid_tools.diff.x_effect__mutmut_20":
        "`>=` for `>` when a longer property is found: two different properties of one length cannot both match a "
        "path (each must be the path's first len(prop) characters), so a tie never happens",
    **{f"hybrid_tools.diff.x__short_type__mutmut_{n}":
       "`rsplit(\":\")[-1]`, `rsplit(\":\", 2)[-1]` or `rsplit(\":\", 1)[1]` of a type with two or more ':': the "
       "last piece, the same whatever the split limit (and [1] is the last of two)" for n in (6, 9, 10)},
    **{f"hybrid_tools.diff.{m}":
       "`encoding=\"UTF-8\"` for \"utf-8\": Python's codec lookup ignores case, both name the same codec"
       for m in ("x__json_file__mutmut_5", "x__text_files__mutmut_20")},
    **{f"hybrid_tools.diff.x__mark_protected_and_dependents__mutmut_{n}":
       "the kind \"moved\" in `gone`: a moved resource always `replaces` (ResourceChange.replaces), which `gone` "
       "reads as well" for n in (19, 20)},
    "hybrid_tools.diff.x__depth__mutmut_2":
        "the initial deepest 1 for 0: the root is counted at depth 1 by the first `max`, before any return",
    "hybrid_tools.diff.x__fmt__mutmut_9":
        "`ensure_ascii=None` for False: only its truth value is read",
    "hybrid_tools.diff.x_compute__mutmut_183":
        "added ranked 4 instead of 3: still last, after removed 0, moved 1 and changed 2",
    "hybrid_tools.diff.x_compute__mutmut_348":
        "the type \"XXXX\" for \"\" when diffing the outputs: neither names a row of EFFECTS nor a Kubernetes type, "
        "so every output change has no effect either way",
    "hybrid_tools.diff.x_effect__mutmut_10":
        "the initial best \"XXXX\" for \"\": with no match, `table.get(best, \"\")` finds no property named "
        "\"XXXX\" either and gives \"\"",
    **{f"hybrid_tools.diff.x_main__mutmut_{n}":
       "the default format's name: every format but json and md renders the text view, and the CLI always passes "
       "--format" for n in (1, 2)},
    **{f"hybrid_tools.diff.x_main__mutmut_{n}":
       "`default=str` of json.dumps dropped: to_json returns JSON values only (plan artifacts are JSON, the absent "
       "marker is turned into None), so the default is never called" for n in (16, 20)},
    **{f"hybrid_tools.diff.{m}":
       "`lstrip(\"\\n\")` for `rstrip(\"\\n\")` before splitlines: a unified diff starts with its '--- ' header, "
       "never a newline, and splitlines drops the final newline itself"
       for m in ("x_render_md__mutmut_191", "x_render_text__mutmut_92", "x_render_text__mutmut_100")},
    "hybrid_tools.plan.x_region_of__mutmut_6":
        "`or \"XXXX\"` for `or \"\"` of a resource without provider: only `startswith(\"alicloud-\")` reads it, "
        "false for both",
    "hybrid_tools.plan.x_region_of__mutmut_20":
        "`or \"XXXX\"` for `or \"\"` of a resource without provider: only `startswith(\"idc\")` reads it, false "
        "for both",
    **{f"hybrid_tools.plan.x_write_plan__mutmut_{n}":
       "the temporary directory's name prefix: the directory never outlives write_plan (renamed to the stack's "
       "directory, or removed in `finally`), and nothing reads its name" for n in (37, 39)},
    **{f"hybrid_tools.plan.x_write_plan__mutmut_{n}":
       "the resolved root handed to `_inside` (None, or the root itself None while the resolved one is given): "
       "`_inside` resolves the root itself when not given, and never reads it when given; the same answer"
       for n in (44, 53, 55, 58)},
    **{f"hybrid_tools.plan.x_write_plan__mutmut_{n}":
       "the set of directories known to exist, which only saves `mkdir` calls: a directory missing from it (the "
       "manifests directory under another name, or None added instead of a parent) is made again with "
       "`exist_ok=True`, the same tree" for n in (47, 48, 67)},
    **{f"hybrid_tools.policy_gate.x_short_urn__mutmut_{n}":
       "how the qualified type is split before its last ':' piece is taken (`split(None)` or `split(\"XX$XX\")` for "
       "`split(\"$\")`, `rsplit(\":\")` or `rsplit(\":\", 2)` for `rsplit(\":\", 1)`): a type token always ends "
       "in \"<module>:<Type>\", so the last ':' piece is the same" for n in (10, 13, 19, 22)},
    "hybrid_tools.policy_gate.x__message_dict__mutmut_2":
        "`or True` on `struct is not None`: it is a protobuf message field (PolicyConfigSchema.properties), never None",
    **{f"hybrid_tools.policy_gate.x__validate__mutmut_{n}":
       "the schema's root `\"type\": \"object\"` key renamed: the properties validated are always a dict that "
       "configure builds, so the root type check never fails" for n in (2, 3)},
    "hybrid_tools.policy_gate.x_project_of__mutmut_7":
        "`len(parts) > 2` for `> 1`: the keys are URNs, urn:pulumi:<stack>::<project>::<type>::<name>, four parts",
    "hybrid_tools.policy_gate.x_gate_run__mutmut_11":
        "`notes = [...]` for `notes += [...]`: notes is still the empty list there",
    "hybrid_tools.policy_gate.x_cli__mutmut_18":
        "`explicit=None` for False: only its truth value is read",
    **{f"hybrid_tools.mockrun.xǁPlanMocksǁnew_resource__mutmut_{n}":
       "fake_id(None, seed) for a component or a type without a table entry: fake_id reads the type only to find "
       "its entry, and neither has one, so the same digest of the seed" for n in (12, 48)},
    **{f"hybrid_tools.mockrun.x__plain__mutmut_{n}":
       "the plain-data fast path refused (kind None; every key read as not a str): _resolve then reads the value "
       "through Output.from_input, which resolves plain data to the same value and secrecy (tests/test_mockrun.py "
       "holds the two equal)" for n in (1, 11)},
    "hybrid_tools.mockrun.xǁPlanMocksǁnew_resource__mutmut_55":
        "`or` for `and` when a state is also filed under its route table: only a VPC's state is read back that way "
        "(its routerId, for a route entry's id); the other states holding a routeTableId are route entries, "
        "registered after their VPC (setdefault keeps the VPC's) or on a table outside the run, and hold no "
        "routerId, so a lookup answers the same",
    **{f"hybrid_tools.policy_gate.xǁPolicyAnalyzerǁstart__mutmut_{n}":
       "an absent PYTHONPATH read as None instead of \"\": `if p` drops both" for n in (9, 11)},
    "hybrid_tools.policy_gate.xǁPolicyAnalyzerǁ_read_port__mutmut_1":
        "`or` in an assertion that holds either way: start() sets proc, with a stdout pipe, just before",
    "hybrid_tools.policy_gate.xǁPolicyAnalyzerǁ_read_port__mutmut_27":
        "reads of 65 bytes for 64: the loop reads until a newline whatever the chunk size, and only the first line "
        "is used",
    **{f"hybrid_tools.policy_gate.xǁPolicyAnalyzerǁ_read_port__mutmut_{n}":
       "the split limit of `buf.split(b\"\\n\", 1)[0]`: the first line is the same whatever the limit"
       for n in (36, 39)},
    "hybrid_tools.policy_gate.x_run_gate__mutmut_103":
        "the rank of levels other than mandatory and advisory, 3 for 2: the same for all of them, still after both",
    "hybrid_tools.policy_gate.x_resources_from_run__mutmut_35":
        "`or True` on `reg.provider`: an empty provider reference rsplits to \"\" as well",
    "hybrid.model.node_access.x__merge__mutmut_22":
        "the merged need's images dropped (the default ()): needs() groups every image per registry before _merge, "
        "so a registry need has a key of its own, and the needs that do merge (apt, http, tcp, rsync) carry no images",
    "hybrid.model.node_access.xǁNodeAccessǁ_hostport__mutmut_4":
        "partition for rpartition: with one ':' both split at it; with two or more the original's host holds a ':' "
        "(neither IPv4 nor a DNS name) and the mutant's port does (not digits), so both refuse with the same message",
    "hybrid.model.node_access.x__check_images__mutmut_45":
        "kube-proxy's reference built with version None: the version only forms the default tag v<version>, and "
        "'vNone' is as valid a tag as v1.30.4 (an explicit cni.kubeProxy.image ignores the version), so the grammar "
        "check gives the same verdict",
    **{f"hybrid.model.platform.x__regional_ids__mutmut_{n}":
       "another key for one kind of id ('tr', 'vpc' or 'vsw' as None, XX..XX or upper case): the kind only keeps the "
       "three id namespaces of `first` apart, and the mutated key is still distinct from the other two, so every "
       "(kind, id) pair meets the same earlier entries" for n in (22, 32, 33, 40, 50, 51, 58, 68, 69)},
    **{f"hybrid.model.platform.x__unhidden_issues__mutmut_{n}":
       "key_style / reference of the issues of `refused`: partial.build puts there only after-check failures "
       "(partial._object_errors), every after-check of hybrid/model raises FieldError (no other raise, no assert), "
       "and validation_issues keeps a FieldError's own message and fix, so the generic fix that reads key_style "
       "and reference is never built for them" for n in (15, 16, 20, 21, 22, 23, 24)},
    "hybrid.model.platform.x__keys_at__mutmut_14":
        "`nxt = models(...)` for `nxt += models(...)`: nxt starts empty for each part and gets at most one models() "
        "result, since no field of the config's model tree is a union of models (current holds one class) and no "
        "class has two fields one key names; assigning to the empty list is appending to it",
    "hybrid.model.node_access.x_needs__mutmut_55":
        "no field for the driver packages' need: it has the kind (apt) and endpoint (apt.ubuntu or the default) of the "
        "cloud-init need listed just before it, so _merge always folds it into that one and keeps the earlier field",
    "hybrid.jobs.xǁJobsPlanǁcron_hpa__mutmut_2":
        "`or` for `and` in cron_hpa's assert: fleet_objects calls it only for a service whose autoscaling has "
        "cron rules, where both forms hold",
    "hybrid.jobs.xǁJobsPlanǁpropagation__mutmut_3":
        "the default of propagation's `replicas`: both callers (a job's policy, a service's) pass it, so it is never read",
    **{f"hybrid.jobs.xǁJobsPlanǁfederated_hpa__mutmut_{n}":
       "the message of an assert that never fails: hybrid.jobs.check refuses a metric no listed source serves "
       "before any plan is made, so metric_source always finds one" for n in (12, 13)},
    "hybrid.jobs.x_tiers__mutmut_5":
        "`break` for `continue` at the first tier no gang may use: fleet_clusters lists the clusters in tier order "
        "(IDC 0, cloud 1, elastic 2, then Serverless 3 and other members 4), so the gang tiers all come before it",
    "hybrid.jobs.x__container__mutmut_74":
        "`or` for `and` on (health, port): _container gets both (a service: its port and healthPath, which the model "
        "requires, default /health) or neither (a job's container)",
    **{f"hybrid.jobs.xǁJobsPlanǁ__init____mutmut_{n}":
       "the tiers handed to host_tier computed eagerly or left out: host_tier computes tiers(p) itself when given "
       "none, the same list, and without jobs nothing reads them" for n in (7, 9, 15, 18)},
    **{f"hybrid.jobs.xǁJobsPlanǁ__init____mutmut_{n}":
       "the message of an assert that never fails: hybrid.jobs.check refuses a job no tier holds before any plan "
       "is made" for n in (20, 21)},
    **{f"components.jobs.xǁAiJobsǁ_declare__mutmut_{n}":
       "the ClusterPropagationPolicy left out of the kinds that wait for the templates: the jobs plan declares it "
       "right after the PriorityClasses, before any workload (JobsPlan.fleet_objects), so the list is empty then"
       for n in (190, 191, 192)},
    **{m: "host_tier without the platform, or without the tiers, or told to compute them: every caller passes "
          "tiers(p) of the same platform (check line `all_tiers = tiers(p)`, JobsPlan when it has jobs), so the "
          "platform is read only to compute that same list"
       for m in ("hybrid.jobs.x_check__mutmut_220", "hybrid.jobs.x_check__mutmut_222", "hybrid.jobs.x_check__mutmut_225",
                 "hybrid.jobs.x_host_tier__mutmut_3", "hybrid.jobs.xǁJobsPlanǁ__init____mutmut_13")},
    **{f"hybrid.jobs.x_tiers__mutmut_{n}":
       "AggregateCapacity without its third argument: allocating defaults to an empty mapping "
       "(hybrid.placement_capacity AggregateCapacity, field(default_factory=dict)), the {} passed" for n in (15, 16)},
    **{f"hybrid.jobs.x__ack__mutmut_{n}":
       "split without maxsplit, rsplit, or maxsplit 2 on a policy apiVersion: group/version has exactly one '/' "
       "(hybrid.fleet POLICY_APIS: policy.karmada.io/v1alpha1, policy.one.alibabacloud.com/v1alpha1), so the group "
       "is the same [0]" for n in (4, 5, 7)},
    **{f"hybrid_tools.placement_cli.x_run__mutmut_{n}":
       "another default for run()'s fmt: fmt is only compared with \"table\", so any other string prints the JSON contract, "
       "as \"json\" does (and the CLI always passes --format)" for n in (1, 2)},
    **{f"hybrid_tools.placement_cli.x_run__mutmut_{n}":
       "stdin read two characters past the limit instead of one: any text over MAX_BYTES is refused alike "
       "(safeload.decode / loads_json), and an endless stdin is still cut after a bounded read" for n in (25, 31)},
    **{f"hybrid_tools.preflight_cli.x_run__mutmut_{n}":
       "the progress line without flush=True: sys.stderr is line-buffered whether interactive or not (Python 3.9+, "
       "docs.python.org/3/library/sys.html#sys.stderr), so each line, ending in a newline, is written at once either way"
       for n in (105, 108, 115)},
    "hybrid_tools.lease_cli.x__quoted__mutmut_8":
        "\"XXXX\" for \"\" as the style of a plain scalar: neither is a quote character, so both give the bare value",
    **{f"hybrid_tools.lease_cli.x__cmd__mutmut_{n}":
       "the file name for decode: read_stack has already read and decoded the same file with the same checks "
       "(safeload), so this decode never fails and the name is never shown" for n in (17, 21)},
    "hybrid_tools.lease_cli.x__cmd__mutmut_28":
        "\"XXXX\" for \"\" when --until is missing: neither is a day, and the message shows --until's own value (None)",
    "hybrid_tools.join_token_cli.x__oss_failure__mutmut_6":
        "getattr(err, \"status\") without a default: every error passed in is an oss2 OssError (RequestError included, "
        "status -2), which always has a status",
    **{f"hybrid_tools.join_token_cli.x_put__mutmut_{n}":
       "another letter case for a request header name: oss2's put_object puts the headers in a CaseInsensitiveDict "
       "(oss2/api.py Bucket.put_object) and HTTP header names are case-insensitive (RFC 9110 section 5.1); OSS's V1 "
       "signature lower-cases x-oss- names" for n in (21, 25, 26)},
    **{f"hybrid_tools.join_token_cli.x_check__mutmut_{n}":
       "another letter case for Last-Modified: oss2's result headers are requests' CaseInsensitiveDict (oss2/http.py "
       "Response.headers = response.headers)" for n in (33, 34)},
    **{f"hybrid_tools.usage_cli.x_rule_settings__mutmut_{n}":
       "no default for a group's rules: Prometheus's /api/v1/rules lists every group with its rules, [] when it has "
       "none (web/api/v1/api.go RuleGroup, Rules: []Rule{})" for n in (14, 16)},
    "hybrid_tools.preflight_cli.x_add_parser__mutmut_66":
        "default=None dropped from --codename: argparse's default for an option is None already",
    **{f"hybrid_tools.join_token_cli.x__oss_failure__mutmut_{n}":
       "another default for the wrapped error: only oss2's RequestError reaches that line (put and check catch OssError "
       "and RequestError, and every other OssError returned above), and a RequestError always has .exception "
       "(oss2/exceptions.py RequestError.__init__)" for n in (27, 30)},
    **{f"hybrid_tools.plan.x_build_plan__mutmut_{n}":
       "the platform loaded again from the stack's values (`and False`, `is None`) instead of taken from read_stack: "
       "read_stack returns only with `platform = load_platform(raw)` of those same values (any ConfigError is raised "
       "there), and load_platform is a pure function of them, so an equal model" for n in (9, 11)},
    **{f"hybrid_tools.plan.x_build_plan__mutmut_{n}":
       "the branch for a StackConfig without a platform (`or True` takes cfg.platform always; load_platform(None) "
       "on that branch): read_stack never returns one, it raises the ConfigError instead, so the branch is never "
       "taken" for n in (10, 12)},
    "hybrid_tools.policy_gate.x_load_policy_config__mutmut_14":
        "`\"XX; XX\"` for the separator of the file's issues: every ConfigError pc.load raises holds one issue "
        "(hybrid/safeload.py's LoadError wraps one ConfigIssue, and pc.load's own refusal is one), so nothing is joined",
    **{f"hybrid_tools.policy_gate.x_load_policy_config__mutmut_{n}":
       "the message of a branch never taken (OSError, UnicodeDecodeError / JSONDecodeError, other ValueError): pc.load "
       "reads through hybrid/safeload.py, which turns each of them into a LoadError (read_bytes, decode, loads_json; "
       "its JSON hooks raise LoadError too), a ConfigError the first clause catches" for n in (15, 16, 17)},
    "hybrid_tools.policy_gate.xǁPolicyAnalyzerǁ_read_port__mutmut_17":
        "`left < 0` for `left <= 0`: left is a float difference of two monotonic clock readings; at exactly 0.0 the "
        "mutant runs one more select with timeout 0, which returns at once, and its next pass stops (left < 0)",
    "hybrid_tools.policy_gate.xǁPolicyAnalyzerǁclose__mutmut_6":
        "the grace before SIGKILL, 11 s for 10: the pack is stopped and reaped either way; only a pack that ignores "
        "SIGTERM and then exits by itself between 10 and 11 s later would tell them apart (tests/"
        "test_mutation_tools_policy_gate.py holds the kill after the grace, at 10 s or more and under 20 s)",
    "hybrid_tools.jobs_cli.xǁ_Planǁ__init____mutmut_1":
        "_Plan.dir set to None: nothing reads it (row() and rows() name res_file and out_file; no other module uses _Plan)",
    **{f"hybrid_tools.jobs_cli.x_row__mutmut_{n}":
       "required=None for required=False: _Plan.get reads required only as `not required` and _Plan.path only passes it on"
       for n in (207, 243, 344, 474, 506)},
    "hybrid_tools.jobs_cli.x_row__mutmut_501":
        "`found or True` before the failover lookup: without a policy pp is {}, so the optional path "
        "spec.failover.application is None, what the else branch gives",
    **{f"components.registered_cluster.xǁRegisteredClusterProviderǁdiff__mutmut_{n}":
       "another value for stables (or none): pulumi's dynamic provider server never sends stables to the engine "
       "(pulumi 3.272.0 pulumi/dynamic/__main__.py Diff builds the response from changes, replaces and "
       "deleteBeforeReplace only)" for n in (11, 15, 18, 19)},
    **{f"components.registered_cluster.xǁRegisteredClusterProviderǁdiff__mutmut_{n}":
       "delete_before_replace None instead of False: the dynamic provider server leaves deleteBeforeReplace out "
       "of the DiffResponse when it is None (pulumi/dynamic/__main__.py Diff), and a proto bool left out is false"
       for n in (12, 16)},
    **{f"components.registered_cluster.x__normalized__mutmut_{n}":
       "the list and dict branches are never taken: diff compares only REPLACE_KEYS, MODIFY_KEYS and AGENT_KEYS, "
       "whose values are strings and booleans (the create-only lists and tags are not compared)" for n in (1, 2, 3)},
    **{f"components.registered_cluster.xǁRegisteredClusterProviderǁ_inputs__mutmut_{n}":
       "keeps __provider in what create/update return: the dynamic provider server sets outs['__provider'] to the "
       "inputs' own value right after (pulumi/dynamic/__main__.py Create, Update), and the output keys kept by the "
       "'or' form are overwritten by create/update themselves" for n in (1, 5)},
    **{f"components.registered_cluster.xǁRegisteredClusterProviderǁupdate__mutmut_{n}":
       "another default for a state missing from olds: olds are the outputs of create, read or update, each of which "
       "sets state, so the default is never used" for n in (69, 71, 74)},
    **{f"components.registered_cluster.xǁRegisteredClusterǁ_create_agent_identity__mutmut_{n}":
       "None for _ns_role / _ns_role_binding: private attributes nothing reads (the Roles and RoleBindings are "
       "reached through _ns_roles and _ns_role_bindings)" for n in (98, 99)},
    "hybrid_tools.usage_cli.xǁPrometheusǁ__init____mutmut_9":
        "`url or \"XXXX\"`: a missing URL is refused either way (\"XXXX\" is not an http(s) URL either) and the message "
        "quotes the URL given, None",
    **{f"hybrid_tools.usage_cli.xǁPrometheusǁget__mutmut_{n}":
       "the query string's branches when there is none: every call passes parameters (rules: type=record; query; "
       "query_range), so the query string is never empty" for n in (6, 7)},
    **{f"hybrid_tools.usage_cli.xǁPrometheusǁget__mutmut_{n}":
       "\"UTF-8\" for \"utf-8\": Python's codec names are case-insensitive (codecs.lookup)" for n in (16, 25)},
    **{f"hybrid_tools.usage_cli.xǁPrometheusǁget__mutmut_{n}":
       "None for \"\" as an error body's missing detail: the detail is only tested for truth (`': ' + detail if "
       "detail else ''`), and both are false" for n in (19, 21, 29)},
    "hybrid_tools.usage_cli.x_rule_settings__mutmut_58":
        "\"XXXX\" for \"\" as a rule's missing query: neither holds a threshold, so the same refusal, which quotes "
        "the rule's query, None",
    "hybrid_tools.usage_cli.x__end__mutmut_3":
        "now() naive for now(timezone.utc) before .timestamp(): a naive datetime's timestamp() reads it as local time, "
        "the zone now() gave it (fold included, Python datetime docs), so the same instant",
    "hybrid_tools.usage_cli.x_build__mutmut_29":
        "`since / step` for `since // step` against the point limit: the line before refuses a since that is not a "
        "whole number of steps, so the two quotients are equal",
    "hybrid_tools.usage_cli.x_build__mutmut_155":
        "`=` for `+=` on a pool and owner's total of one measure: a range query's matrix holds one series per label "
        "set (Prometheus HTTP API, resultType matrix) and the pool_owner records keep exactly pool and owner, so each "
        "total is added to once",
    **{f"hybrid_tools.usage_cli.x_chart__mutmut_{n}":
       "\"agg\"/\"AGG\" for \"Agg\": backend names are case-insensitive (matplotlib 3.10 backends/registry.py "
       "lower-cases them before loading): the same Agg canvas" for n in (3, 4)},
    "hybrid_tools.usage_cli.x_chart__mutmut_22":
        "squeeze=None for False: plt.subplots only tests squeeze for truth, so the same 2-D array of axes",
    "hybrid_tools.usage_cli.x_chart__mutmut_24":
        "ncols left out of plt.subplots: its default is 1, the value given",
    **{f"hybrid_tools.usage_cli.x_chart__mutmut_{n}":
       "the empty panel's note in data coordinates instead of the axes': an empty panel keeps matplotlib's default "
       "limits (0, 1) on both axes, so (0.5, 0.5) is its centre either way" for n in (40, 46)},
    **{f"hybrid_tools.usage_cli.x_chart__mutmut_{n}":
       "the paid line's width left to the style: chart() draws in matplotlib's default style, whose lines.linewidth "
       "is 1.5, the width given" for n in (82, 89)},
    **{f"hybrid_tools.usage_cli.x_chart__mutmut_{n}":
       "a colour name in capitals: matplotlib's named colours are case-insensitive (colors.to_rgba looks names up "
       "lower-cased), so the same colour" for n in (94, 103, 107, 109)},
    **{f"hybrid_tools.usage_cli.x_chart__mutmut_{n}":
       "the three measures' colours left to the style: in the default style chart() draws in, the colour cycle "
       "starts tab:blue, tab:orange, tab:green, and the paid line's explicit black does not advance it" for n in (113, 119)},
    "hybrid_tools.usage_cli.x_chart__mutmut_141":
        "a title's fontsize None: FontProperties.set_size(None) takes rcParams font.size, 10 in the default style "
        "chart() draws in, the size given",
    "hybrid_tools.usage_cli.x_chart__mutmut_193":
        "plt.close(None) for plt.close(fig): None closes the current figure, which is fig (plt.subplots made it "
        "current and nothing after opens another)",
    "components.network.xǁRegionNetworkǁ__init____mutmut_72":
        "another initial value of inter_region, never read: only an inter-region binding reads it, and those exist only "
        "when path.inter_region is set, for which _create_leased_line calls _create_inter_region (which sets it) first",
    "components.network.xǁRegionNetworkǁ_create_leased_line__mutmut_10":
        "`ll is None and path is None` for `or`: hybrid.transit.region_path returns None exactly when the region has no "
        "leasedLine, so the two are None together and both forms agree on every input",
    **{f"components.platform.xǁHybridPlatformǁ{fn}__mutmut_{n}":
       f"another initial value of HybridPlatform.{attr}, an attribute nothing reads (build() and the tests read the "
       "graph and the exports; the component itself never reads it back)"
       for fn, n, attr in (("_registration", 39, "terway_addon"), ("_placement", 5, "fleet_placement"), ("_jobs", 4, "ai_jobs"))},
    "components.platform.xǁHybridPlatformǁ_placement__mutmut_6":
        "another initial value of fleet_provider: _jobs reads it only for jobs on the Fleet (fleet.enabled and apply), "
        "and then _placement has already replaced it with the Fleet's provider",
    **{f"components.platform.xǁHybridPlatformǁ__init____mutmut_{n}":
       "HybridPlatform's options dropped: its one caller, build() (what __main__.py runs), creates it without options, "
       "so opts is always None and the component is the stack's child either way" for n in (3, 6, 7)},
    **{f"hybrid_tools.mockrun.x_run_program__mutmut_{n}":
       "reset_options' project, stack or preview changed or dropped: the settings it configures are replaced before "
       "anything reads them by set_mocks on the next line, which configures the run's project, stack and preview "
       "(pulumi 3.272.0 runtime/mocks.py set_mocks: configure(MockSettings(...))); reset_options is there for its "
       "ROOT.set(None), a fresh root Stack per run" for n in (12, 13, 14, 15, 16, 17, 18)},
    "hybrid_tools.mockrun.x_run_program__mutmut_19":
        "set_mocks(None, ..., monitor=monitor): set_mocks reads its mocks only to build a MockMonitor when no monitor "
        "is given (pulumi 3.272.0 runtime/mocks.py), and run_program always gives its RecordingMonitor, built over "
        "the same mocks",
    **{f"hybrid_tools.mockrun.x_run_program__mutmut_{n}":
       "set_mocks' preview None (given or by default) for False: the SDK reads it only as bool(SETTINGS.dry_run) "
       "(pulumi 3.272.0 runtime/settings.py is_dry_run), None and False alike" for n in (22, 27)},
    "hybrid_tools.lease_cli.x__usage__mutmut_53":
        "usage.r(cost per busy GPU-hour) without its 4: r's default is 4 places (hybrid/usage.py)",
    "hybrid_tools.lease_cli.x__usage__mutmut_8":
        "the usage report built for every pool instead of this one: each pool's figures come from its own series "
        "and lease alone (usage_cli.build), _usage takes this pool's by name, and the --pool check it skips never "
        "refuses here (_cmd's edit has already refused a pool the stack lacks or an elastic one)",
    "hybrid.ack_api.xǁAckClientǁ__init____mutmut_1":
        "the default read timeout 30_001 ms: never read, the only AckClient the program builds "
        "(components/registered_cluster.py RegisteredClusterProvider._api) passes read_timeout_ms",
}

BAD = {"survived", "no tests", "suspicious", "skipped", "segfault", "not checked"}

# Hand-written mutants, for code mutmut cannot mutate: a small list per file (a literal that occurs
# once in it, and what replaces it: a realistic slip each), run against the tests that execute the
# file. Target -> (file, tests, mutants). The shell scripts ("sh_<name>": mutmut mutates Python
# only) and policy/__main__.py (module-level code only: it builds the PolicyPack, which serves and
# blocks, and mutmut 3 runs mutants of function bodies alone), against the test that starts the
# pack as the engine does.
HAND_TARGETS: dict[str, tuple[str, list[str], list[tuple[str, str, str]]]] = {
    "sh_tc": ("hybrid/scripts/hybrid-tc.sh", ["tests/test_tc.py"], [
        ("egress-matches-source", 'ifb=$IFB_EGRESS field=dst', 'ifb=$IFB_EGRESS field=src'),
        ("ceil-twice-the-rate", 'ceil "${mbit}mbit"', 'ceil "$((mbit * 2))mbit"'),
        ("never-rebuilds-filters", '-eq "${#IDC_RANGES[@]}" ]; then', '-ge 0 ]; then'),
        ("rebuild-keeps-old-filters", 'tc filter del dev "$dev" "$dir" prio "$PRIO" 2>/dev/null || true', 'true'),
        ("ifb-left-down", 'ip link set dev "$dev" up', 'true'),
        ("htb-never-added", "if ! has '^qdisc htb 1: root' qdisc show dev \"$dev\" root; then", "if false; then"),
        ("ingress-to-egress-ifb", 'ifb=$IFB_INGRESS field=src', 'ifb=$IFB_EGRESS field=src'),
        ("no-glob-match", 'if [[ $name == $ENI_GLOB ]]; then devs+=("$name"); fi', 'true'),
    ]),
    "sh_join": ("hybrid/scripts/hybrid-join.sh", ["tests/test_join_script.py", "tests/test_node_boot_netns.py"], [
        ("rejoins-a-joined-node", 'if [ -f /etc/kubernetes/kubelet.conf ]; then echo "hybrid-join: already joined"; exit 0; fi', 'true'),
        ("joins-without-data-disk", 'if ! mountpoint -q -- "$DATA_MOUNT"; then', 'if false; then'),
        ("session-token-by-get", '--retry-connrefused -X PUT', '--retry-connrefused -X GET'),
        ("provider-id-reversed", 'PROVIDER_ID="$REGION.$INSTANCE_ID"', 'PROVIDER_ID="$INSTANCE_ID.$REGION"'),
        ("metadata-values-unchecked", 'if ! [[ $v =~ ^[a-z0-9][a-z0-9.-]*$ ]]; then', 'if false; then'),
        ("cgroupfs-kept", "'s/SystemdCgroup = false/SystemdCgroup = true/'", "'s/SystemdCgroup = true/SystemdCgroup = true/'"),
        ("pause-region-unfilled", '${PAUSE_IMAGE//@REGION@/$REGION}', '${PAUSE_IMAGE}'),
        ("config-path-check-dropped", 'if ! grep -qF "config_path = \\"$CERTS_D\\"" /etc/containerd/config.toml; then', 'if false; then'),
        ("kubelet-not-held", 'apt-mark hold kubelet kubeadm', 'true'),
        ("token-config-kept", 'rm -f "$CONF_DIR/kubeadm-join.yaml"', 'true'),
        ("elastic-provider-id-ignored", 'if [ -s "$CONF_DIR/provider-id" ]; then PROVIDER_ID=$(<"$CONF_DIR/provider-id"); fi', 'true'),
    ]),
    "sh_data_disk": ("hybrid/scripts/hybrid-data-disk.sh", ["tests/test_data_disk.py"], [
        ("remounts-when-mounted", 'if mountpoint -q -- "$MOUNT"; then exit 0; fi', 'true'),
        ("formats-a-disk-with-data", 'if [ -z "$(blkid -o value -s TYPE "$dev" 2>/dev/null || true)" ]; then', 'if true; then'),
        ("formats-a-partitioned-disk", 'if [ "$(lsblk -no NAME "$dev" | wc -l)" -gt 1 ]; then', 'if false; then'),
        ("gives-up-at-once", 'if [ "$SECONDS" -ge "$DEADLINE" ]; then', 'if true; then'),
        ("waits-forever", 'if [ "$SECONDS" -ge "$DEADLINE" ]; then', 'if false; then'),
        ("no-label", 'mkfs.ext4 -q -m 0 -L "$LABEL" "$dev"', 'mkfs.ext4 -q -m 0 "$dev"'),
        ("fstab-line-per-run", 'if ! grep -q "^LABEL=$LABEL " /etc/fstab; then', 'if true; then'),
        ("boot-waits-on-a-missing-disk", 'defaults,noatime,nofail,', 'defaults,noatime,'),
        ("label-ignored", 'dev=$(blkid -L "$LABEL" 2>/dev/null || true)', 'dev='),
    ]),
    "sh_preload": ("hybrid/scripts/hybrid-preload.sh", ["tests/test_preload.py"], [
        ("no-lock", 'if ! flock -n 9; then', 'if false; then'),
        ("lock-held-is-success", 'another run holds the lock" >&2; exit 75', 'another run holds the lock" >&2; exit 0'),
        ("bwlimit-in-kbit", '--bwlimit="$((RATE_MBIT * 125))KB"', '--bwlimit="$((RATE_MBIT * 1000))KB"'),
        ("partial-in-place", '--partial --partial-dir=.hybrid-preload-partial', '--partial'),
        ("source-change-during-copy-unnoticed", 'if [ "$(source_manifest)" != "$before" ]; then', 'if false; then'),
        ("damaged-target-trusted", 'if [ "$(target_manifest)" = "$(marker_field target-manifest)" ]; then', 'if true; then'),
        ("unreachable-source-resyncs", 'echo "preload $NAME: complete; source unreachable, keeping the copy"; exit 0', 'true'),
        ("source-dir-nested", 'SOURCE=${2%/}/', 'SOURCE=${2%/}'),
        ("changed-source-skipped", 'if [ "$current" = "$(marker_field source-manifest)" ]; then', 'if true; then'),
    ]),
    "sh_preload_run": ("hybrid/scripts/hybrid-preload-run.sh", [
        "tests/test_hostile_render.py::test_hostile_preload_settings_reach_the_program_as_single_words",
        "tests/test_preload_run.py"], [
        ("name-unchecked", '[ $# -ne 1 ] || ! [[ $1 =~ ^[a-z0-9][a-z0-9-]*$ ]]', '[ $# -ne 1 ]'),
        ("extra-args-accepted", '[ $# -ne 1 ] ||', '[ $# -lt 1 ] ||'),
        ("values-split", 'exec "$PRELOAD_BIN" "$NAME" "$SOURCE" "$TARGET" "$RATE_MBIT"', 'exec "$PRELOAD_BIN" $NAME $SOURCE $TARGET $RATE_MBIT'),
        ("settings-file-misnamed", '. "$PRELOAD_CONF_DIR/$1.env"', '. "$PRELOAD_CONF_DIR/$1"'),
        ("no-exec", 'exec "$PRELOAD_BIN"', '"$PRELOAD_BIN"'),
        ("usage-exit-1", 'dashes)" >&2; exit 64', 'dashes)" >&2; exit 1'),
    ]),
    "sh_gpu_driver": ("hybrid/scripts/hybrid-gpu-driver.sh", ["tests/test_gpu_driver_script.py"], [
        ("reboots-forever", 'if [ -e "$STATE_DIR/rebooted-for-driver" ]; then', 'if false; then'),
        ("reboot-marker-kept", 'rm -f "$STATE_DIR/rebooted-for-driver"', 'true'),
        ("no-dkms-build", 'dkms autoinstall -k "$kernel"', 'true'),
        ("generic-headers", '"linux-headers-$kernel" "nvidia-driver-${DRIVER_BRANCH}-server"', '"linux-headers-generic" "nvidia-driver-${DRIVER_BRANCH}-server"'),
        ("kernel-not-held", 'if [ ${#kernel_pkgs[@]} -gt 0 ]; then', 'if false; then'),
        ("gpu-count-unchecked", 'if [ "$seen" -ne "$EXPECT_GPUS" ]; then', 'if false; then'),
        ("toolkit-always-reinstalled", 'if ! grep -qF "version $TOOLKIT_VERSION" <<<"$have"; then', 'if true; then'),
        ("toolkit-never-upgraded", 'if ! grep -qF "version $TOOLKIT_VERSION" <<<"$have"; then', 'if false; then'),
        ("modprobe-failure-fatal", 'modprobe nvidia 2>/dev/null || true', 'modprobe nvidia 2>/dev/null'),
        ("no-reboot", 'systemctl --no-block reboot', 'true'),
        ("driver-not-held", 'apt-mark hold "nvidia-driver-${DRIVER_BRANCH}-server"', 'true "nvidia-driver-${DRIVER_BRANCH}-server"'),
    ]),
    "sh_join_token": ("hybrid/scripts/hybrid-join-token.sh", ["tests/test_join_token_fetch.py"], [
        ("never-retries", 'for ((i = 1; i <= ATTEMPTS; i++)); do', 'for ((i = 1; i <= 1; i++)); do'),
        ("session-token-by-get", '--max-time 10 -X PUT', '--max-time 10 -X GET'),
        ("resource-without-slash", "x-oss-security-token:%s\\n/%s/%s'", "x-oss-security-token:%s\\n/%s%s'"),
        ("token-header-unsigned", "'GET\\n\\n\\n%s\\nx-oss-security-token:%s\\n/%s/%s' \"$date\" \"$sts_token\"",
         "'GET\\n\\n\\n%s\\n/%s/%s' \"$date\""),
        ("code-unchecked", 'if [ "$(json_field Code "$WORK/sts")" != Success ]; then', 'if false; then'),
        ("token-unchecked", 'if ! [[ $token =~ ^[a-z0-9]{6}\\.[a-z0-9]{16}$ ]]; then', 'if false; then'),
        ("newline-kept", "token=${token%$'\\n'}", 'true'),
        ("local-date", "date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')", "date=$(LC_ALL=C date '+%a, %d %b %Y %H:%M:%S GMT')"),
        ("role-first-line-not-taken", "role=${role%%$'\\n'*}", 'true'),
    ]),
    "sh_elastic_node": ("hybrid/scripts/hybrid-elastic-node.sh", ["tests/test_elastic_node.py"], [
        ("provider-id-unchecked", '[[ $provider_id =~ ^[a-z0-9-]+\\.i-[a-z0-9]+$ ]] || die', 'true || die'),
        ("pool-by-value", 'if [ "$key" = "$POOL_LABEL" ]; then pool=$value; fi', 'if [ "$value" = "$POOL_LABEL" ]; then pool=$value; fi'),
        ("last-taint-only", 'taint_list+="${taint_list:+, }', 'taint_list="${taint_list:+, }'),
        ("effect-unchecked", '$effect =~ ^(NoSchedule|PreferNoSchedule|NoExecute)$ && ', ''),
        ("hosts-appended-every-run", 'if [ -f "$conf/hosts" ] && ! grep -qxF "$(head -n1 "$conf/hosts")" "$ROOT/etc/hosts"; then',
         'if [ -f "$conf/hosts" ]; then'),
        ("image-sources-kept", 'rm -f "$ROOT/etc/apt/sources.list.d/ubuntu.sources"', 'true'),
        ("first-unit-only", 'systemctl enable "${step[@]}"', 'systemctl enable "${step[0]}"'),
        ("label-value-unchecked", '$value =~ $VALUE_RE && ${#value} -le 63 ]] || die', '${#value} -le 63 ]] || die'),
        ("provider-id-not-kept", 'printf \'%s\\n\' "$provider_id" > "$conf/provider-id"', 'true'),
    ]),
    "sh_metadata_guard": ("hybrid/scripts/hybrid-metadata-guard.sh", ["tests/test_metadata_guard.py"], [
        ("jump-added-every-run", 'while $IPT -D FORWARD -j "$CHAIN" 2>/dev/null; do :; done', 'true'),
        ("jump-appended", '$IPT -I FORWARD 1 -j "$CHAIN"', '$IPT -A FORWARD -j "$CHAIN"'),
        ("guards-the-host", '$IPT -I FORWARD 1 -j "$CHAIN"', '$IPT -I OUTPUT 1 -j "$CHAIN"'),
        ("chain-not-flushed", '$IPT -F "$CHAIN"', 'true'),
        ("tcp-dropped-silently", '-p tcp -j REJECT --reject-with tcp-reset', '-p tcp -j DROP'),
        ("udp-open", '$IPT -A "$CHAIN" -d "$METADATA_IP/32" -j DROP', 'true'),
        ("existing-chain-fatal", '$IPT -N "$CHAIN" 2>/dev/null || true', '$IPT -N "$CHAIN"'),
        ("whole-subnet", '-d "$METADATA_IP/32" -p tcp', '-d "$METADATA_IP/16" -p tcp'),
    ]),
    "policy_main": ("policy/__main__.py", ["tests/test_policy_pack_main.py"], [
        ("one-policy-dropped", "policies=POLICIES,", "policies=POLICIES[1:],"),
        ("pack-renamed", "name=PACK_NAME,", 'name="hybrid-gpu",'),
        ("pack-level-advisory", "enforcement_level=EnforcementLevel.MANDATORY", "enforcement_level=EnforcementLevel.ADVISORY"),
    ]),
}


def _copy_tree(work: Path, rev: str | None) -> None:
    if rev:  # an older tree, e.g. the score before a change
        work.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
        return
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            dst = work / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _undecorate(path: Path) -> None:
    """In the copy, apply each function's decorators after its definition instead of above it.

    mutmut leaves every decorated function unmutated (it copies the function for its trampoline,
    and a decorator runs at definition time), except one whose only decorator is ``@classmethod``
    or ``@staticmethod``. The model's validators (``@field_validator``, ``@model_validator``), its
    properties and its cross-checks are all decorated: the code that refuses a bad config would not
    be measured at all. ``@d1 @d2 def f`` is ``f = d1(d2(f))`` right after the definition; every
    decorator of these packages returns a wrapper or registers the function, and none reads where
    it was written, so the copy's module gets that form: the same objects in the same order, each
    built over the function mutmut trampolines. A last (innermost) ``@classmethod`` or
    ``@staticmethod`` stays on the definition, the one form mutmut mutates with its decorator.

    Caches (``functools.lru_cache``, ``functools.cache``) are dropped instead: mutmut forks each
    mutant from a process that already ran the tests with the original code, so a cache would hand
    the mutant the original's answers. They memoise pure functions, so dropping one changes speed only.
    """
    import libcst as cst  # mutmut's own parser, installed with it

    keep = ("classmethod", "staticmethod")
    caches = ("lru_cache", "cache")

    def is_cache(d: cst.Decorator) -> bool:
        e = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        return (isinstance(e, cst.Name) and e.value in caches) or (isinstance(e, cst.Attribute) and e.attr.value in caches)

    def split(body: list) -> list:
        out: list = []
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                stmt = stmt.with_changes(body=stmt.body.with_changes(body=split(list(stmt.body.body))))
            decorators = [d for d in getattr(stmt, "decorators", ()) if not is_cache(d)]
            if isinstance(stmt, cst.FunctionDef) and len(decorators) < len(stmt.decorators):
                stmt = stmt.with_changes(decorators=decorators)
            if not isinstance(stmt, cst.FunctionDef) or not decorators:
                out.append(stmt)
                continue
            last = decorators[-1].decorator
            inner = [decorators.pop()] if isinstance(last, cst.Name) and last.value in keep else []
            if not decorators:
                out.append(stmt)
                continue
            value: cst.BaseExpression = stmt.name
            for d in reversed(decorators):
                value = cst.Call(d.decorator, [cst.Arg(value)])
            leading = [line for d in decorators for line in d.leading_lines]
            out.append(stmt.with_changes(decorators=inner, leading_lines=[*stmt.leading_lines, *leading]))
            out.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(stmt.name)], value)]))
        return out

    module = cst.parse_module(path.read_text())
    path.write_text(module.with_changes(body=split(list(module.body))).code)


def _alias_policy_rules(work: Path) -> None:
    """Let the copy's tests import the policy rules under the name mutmut gives their file.

    The pack runs with cwd policy/ and imports its rules as the top-level package ``rules``
    (policy/__main__.py), so the tests do too (sys.path gets policy/). mutmut names a mutant after
    its file's path (``policy.rules.lease.x_...``) and both records which tests reach a function
    and switches a mutant on by ``function.__module__``: under ``rules.lease`` no test would be
    seen to reach any mutant, and none would be switched on. In the copy only, ``rules`` is made
    the package ``policy.rules`` (policy/ has no __init__.py: a namespace package, found in
    mutmut's mutants/ directory) before any test imports it; the suite itself is unchanged.
    """
    with open(work / "tests" / "conftest.py", "a") as f:
        f.write("""

# Added by scripts/mutate.py in the mutation copy only (see _alias_policy_rules there).
import sys as _sys  # noqa: E402
import policy.rules as _policy_rules  # noqa: E402

_sys.modules["rules"] = _policy_rules
for _area in ("common", "compute", "identity", "kubernetes", "lease", "network"):
    _sys.modules["rules." + _area] = getattr(_policy_rules, _area)
""")


def _event_loop_per_fork(work: Path) -> None:
    """Give each forked mutant an asyncio event loop of its own, in the copy's tests.

    mutmut forks every mutant from the process that ran the tests once, so each child inherits
    that process's current event loop, and with it the loop's epoll instance (one kernel object
    shared by the parent and every child) and its wake-up pipe. An offline program run closes its
    loop when done (hybrid_tools/mockrun.py ``_close_loop``); in a child that is the inherited loop,
    and closing it removes the wake-up pipe from the shared epoll: in every later child, the SDK's
    loop then waits for wake-ups from its executor threads that never arrive, and the mutant's tests
    hang until mutmut stops them (about 90 s each, counted as timeouts). In the copy only, the
    tests' conftest makes a forked child start on a new loop and keeps the inherited one referenced
    (never closed, never collected: the child ends with ``os._exit``).
    """
    with open(work / "tests" / "conftest.py", "a") as f:
        f.write("""

# Added by scripts/mutate.py in the mutation copy only (see _event_loop_per_fork there).
import asyncio as _asyncio  # noqa: E402
import os as _os  # noqa: E402

_INHERITED_LOOPS: list = []


def _event_loop_of_its_own() -> None:
    _INHERITED_LOOPS.append(_asyncio.get_event_loop_policy().get_event_loop())
    _asyncio.set_event_loop(_asyncio.new_event_loop())


_os.register_at_fork(after_in_child=_event_loop_of_its_own)
""")


def run_target(name: str, max_children: int, rev: str | None = None,
               tests: list[str] | None = None, only: list[str] | None = None) -> dict[str, str]:
    """Run mutmut over one target (over the mutants ``only`` names, when given); return mutant name -> status."""
    module, default_tests = TARGETS[name]
    tests = tests or default_tests
    work = ROOT / "build" / "mutate" / (name + (f"@{rev}" if rev else ""))
    if work.exists():
        shutil.rmtree(work)
    _copy_tree(work, rev)
    tests = [t for t in tests if not t.startswith("tests/") or (work / t.split("::")[0]).exists()]
    extra: list[str] = []
    if name in HYPOTHESIS_CAP:
        cap = HYPOTHESIS_CAP[name]
        for t in tests:
            if t.startswith("tests/") and t.endswith(".py"):
                f = work / t
                f.write_text(re.sub(r"max_examples=(\d+)", lambda m: f"max_examples={min(int(m.group(1)), cap)}",
                                    f.read_text()))
        extra = ["--hypothesis-seed=0"]
    sources = ["hybrid", "components", "hybrid_tools"]
    if module.startswith("policy/"):
        sources.append("policy")
        _alias_policy_rules(work)
    _undecorate(work / module)
    _event_loop_per_fork(work)
    with open(work / "pyproject.toml", "a") as f:
        f.write(f"""
[tool.mutmut]
source_paths = {json.dumps(sources)}
only_mutate = [{json.dumps(module)}]
also_copy = ["stacks", "policy", "Pulumi.yaml", "__main__.py", "docs", "scripts"]
pytest_add_cli_args_test_selection = {json.dumps(tests)}
pytest_add_cli_args = {json.dumps(["-p", "no:cacheprovider", "-q", "-W", "ignore", *extra])}
""")
    log = work / "mutmut-run.log"
    with open(log, "w") as f:
        run = subprocess.run([str(MUTMUT), "run", "--max-children", str(max_children), *(only or [])], cwd=work,
                             stdout=f, stderr=subprocess.STDOUT)
    # mutmut stops with 1 before any mutant when the selected tests fail on the unmutated code (or
    # reach no function): every mutant would then read "not checked", counted as survived.
    if run.returncode != 0 and not generated_none(name):
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"mutate: {name}: mutmut stopped before the mutants ({tail[0].strip()}); see {log}")
    out = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, capture_output=True,
                         text=True).stdout
    statuses: dict[str, str] = {}
    for line in out.splitlines():
        if ":" in line:
            mutant, status = (s.strip() for s in line.rsplit(":", 1))
            statuses[mutant] = status
    return statuses


def confirm_timeouts(name: str, statuses: dict[str, str]) -> dict[str, str]:
    """Run the timed-out mutants of a run once more, one at a time, and keep that verdict.

    mutmut stops a mutant's tests after 15 times their clean run's wall time and counts it killed.
    On a loaded machine a surviving mutant's tests can take that long (the components' tests
    under Pulumi's mocks did), so a timeout is a kill only when it recurs on a run of its own."""
    timed_out = sorted(m for m, s in statuses.items() if s == "timeout")
    if not timed_out:
        return statuses
    again = run_target(name, 1, only=timed_out)
    return {**statuses, **{m: again.get(m, "survived") for m in timed_out}}


def generated_none(name: str) -> bool:
    """Whether the last run of target ``name`` generated no mutant at all for its module.

    mutmut mutates function bodies only, so a module of constants has no mutant; its run then
    stops before the tests ("could not find any test case for any mutant": no function to reach)
    and `mutmut results` lists nothing, as it does for a run that failed. mutmut writes a module's
    mutants to mutants/<module>.meta before any test runs: that file, present with no mutant in
    it, tells the first case from the second (no file: nothing was generated, the run failed).
    """
    meta = ROOT / "build" / "mutate" / name / "mutants" / (TARGETS[name][0] + ".meta")
    return meta.is_file() and not json.loads(meta.read_text())["exit_code_by_key"]


def run_hand_target(name: str) -> dict[str, str]:
    """Each listed mutant applied alone to a copy of the tree; killed when the script's tests fail."""
    script, tests, mutants = HAND_TARGETS[name]
    work = ROOT / "build" / "mutate" / name
    if work.exists():
        shutil.rmtree(work)
    _copy_tree(work, None)
    original = (ROOT / script).read_text()
    env = {**os.environ, "PYTHONPATH": str(work)}  # the copy's hybrid/, not the editable install's
    statuses: dict[str, str] = {}
    for mutant, old, new in mutants:
        if original.count(old) != 1:
            raise SystemExit(f"mutate: {name}/{mutant}: {old!r} occurs {original.count(old)} times in {script}")
        (work / script).write_text(original.replace(old, new))
        r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], cwd=work,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        statuses[f"{script}:{mutant}"] = "killed" if r.returncode == 1 else ("survived" if r.returncode == 0 else
                                                                            f"error {r.returncode}")
    (work / script).write_text(original)
    return statuses


def summarize(statuses: dict[str, str], module: str) -> dict:
    c = Counter(statuses.values())
    survivors = sorted(m for m, s in statuses.items() if s not in ("killed", "timeout"))
    return {"mutants": len(statuses), "killed": c["killed"] + c["timeout"], "survivors": survivors,
            "source": source_digest(module)}


def source_digest(module: str) -> str:
    """The module's text, hashed: mutmut names mutants by function and position in it, so a
    recorded survivor names the same mutant only while the text is unchanged."""
    return hashlib.sha256((ROOT / module).read_bytes()).hexdigest()


def rerun_survivors(name: str, recorded: dict | None, max_children: int) -> dict[str, str]:
    """Run only the survivors recorded for target ``name``; the mutants killed then stay killed.

    Sound while the module's text is the one recorded (the same names, the same mutants) and the
    tests only grew: a test added kills more, never fewer. Otherwise the whole target must run."""
    module = TARGETS[name][0]
    if not recorded or recorded.get("source") != source_digest(module):
        raise SystemExit(f"mutate: {name}: {module} has no recorded run of its current text; "
                         f"run the whole target: scripts/mutate.py {name}")
    fresh = run_target(name, max_children, only=recorded["survivors"])
    statuses = {m: fresh.get(m, "survived") for m in recorded["survivors"]}
    missing = recorded["mutants"] - len(fresh)
    if missing or set(statuses) - set(fresh):
        raise SystemExit(f"mutate: {name}: the copy generated {len(fresh)} mutants, {recorded['mutants']} recorded; "
                         f"run the whole target")
    return {**{m: "killed" for m in fresh if m not in statuses}, **statuses}


def _all_modules() -> list[str]:
    mods = []
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            rel = p.relative_to(ROOT).as_posix()
            if p.name == "__init__.py" or "/scripts/" in rel:
                continue
            mods.append(rel)
    mods += [p.relative_to(ROOT).as_posix() for p in (ROOT / "hybrid" / "scripts").glob("*.sh")]
    return sorted(mods)


def table(results: dict[str, dict]) -> str:
    rows = ["| module | mutants | killed | survived (equivalent) | score |", "| --- | ---: | ---: | ---: | ---: |"]
    for mod in _all_modules():
        r = results.get(mod)
        if r is None:
            rows.append(f"| `{mod}` | not measured | | | |")
            continue
        eq = sum(1 for m in r["survivors"] if m in EQUIVALENT)
        survived = r["mutants"] - r["killed"]
        denom = r["mutants"] - eq
        pct = f"{100 * r['killed'] / denom:.0f} %" if denom else "-" if r["mutants"] else "no code to mutate"
        if r.get("source") != source_digest(mod):
            pct += " (stale: the module changed since its run)"
        rows.append(f"| `{mod}` | {r['mutants']} | {r['killed']} | {survived} ({eq}) | {pct} |")
    return "\n".join(rows)


def equivalents(results: dict[str, dict]) -> str:
    rows = ["| mutant | why it is equivalent |", "| --- | --- |"]
    listed = {m for r in results.values() for m in r["survivors"]}
    for m in sorted(EQUIVALENT):
        if m in listed:
            rows.append(f"| `{m}` | {EQUIVALENT[m]} |")
    return "\n".join(rows)


def _replace(text: str, begin: str, end: str, body: str) -> str:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def write_docs(results: dict[str, dict]) -> None:
    text = DOC.read_text()
    text = _replace(text, BEGIN, END, table(results))
    text = _replace(text, EQ_BEGIN, EQ_END, equivalents(results))
    DOC.write_text(text)


def load_results() -> dict[str, dict]:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def save_results(results: dict[str, dict]) -> None:
    RESULTS.write_text(json.dumps(dict(sorted(results.items())), indent=1, sort_keys=True) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", default=None)
    ap.add_argument("--max-children", type=int, default=1)
    ap.add_argument("--rev", help="mutate the tree of this git revision instead of the working tree (not recorded)")
    ap.add_argument("--tests", help="pytest arguments selecting the tests, instead of the target's (space-separated)")
    ap.add_argument("--survivors", action="store_true",
                    help="re-run only the recorded survivors (module text unchanged since its recorded run)")
    ap.add_argument("--table-only", action="store_true", help="rewrite docs/testing.md from the recorded results")
    args = ap.parse_args()
    targets = args.targets or os.environ.get("MUTATE", "").split() or [*TARGETS, *HAND_TARGETS]
    unknown = [t for t in targets if t not in TARGETS and t not in HAND_TARGETS]
    if unknown:
        print(f"mutate: unknown target {unknown[0]!r}: choose from {', '.join([*TARGETS, *HAND_TARGETS])}",
              file=sys.stderr)
        return 2
    results = load_results()
    if not args.table_only:
        for name in targets:
            start = time.monotonic()
            if name in HAND_TARGETS:
                module = HAND_TARGETS[name][0]
                statuses = run_hand_target(name)
            else:
                module = TARGETS[name][0]
                statuses = (rerun_survivors(name, results.get(module), args.max_children) if args.survivors else
                            run_target(name, args.max_children, args.rev, args.tests.split() if args.tests else None))
                statuses = confirm_timeouts(name, statuses)
            r = summarize(statuses, module)
            secs = time.monotonic() - start
            print(f"{module:<36} {r['killed']}/{r['mutants']} killed, {len(r['survivors'])} survived, "
                  f"{secs:.0f} s", flush=True)
            if not args.rev and not args.tests and (r["mutants"] or (name in TARGETS and generated_none(name))):
                results = load_results()  # read again: another target's run may have recorded since
                results[module] = r
                save_results(results)
    write_docs(load_results())
    return 0


if __name__ == "__main__":
    sys.exit(main())
