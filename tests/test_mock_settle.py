"""Mock runs return only after every registration: the plan runner and the tests' settle().

A chain of resources, each taking the previous one's id as an input, registers its last link
many round trips after the first: nothing awaits it, nothing exports it, no apply is involved.
What the run recorded must hold it all the same."""

from __future__ import annotations

import pulumi
import pytest

from hybrid_tools.mockrun import fake_id, run_program
from tests.conftest import settle

pytestmark = pytest.mark.usefixtures("own_loop")  # tests/conftest.py: a loop of its own per test

LINK = "test:index:Link"
LINKS = 30

CHAIN = f'''
import pulumi

prev = None
for i in range({LINKS}):
    prev = pulumi.CustomResource("{LINK}", f"link-{{i}}", {{"after": prev.id if prev else "start"}})
'''


def _chain() -> list[pulumi.CustomResource]:
    links: list[pulumi.CustomResource] = []
    for i in range(LINKS):
        links.append(pulumi.CustomResource(LINK, f"link-{i}", {"after": links[-1].id if links else "start"}))
    return links


def test_run_program_records_the_last_link_of_an_unexported_chain(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text(CHAIN)
    run = run_program(program, "p", "s", {}, [])
    links = {r.name: r for r in run.registrations.values() if r.type == LINK}
    assert sorted(links) == sorted(f"link-{i}" for i in range(LINKS))
    # link-29 was registered with link-28's id (PlanMocks' id for link-28): the chain ran in order.
    assert links["link-29"].inputs["after"] == fake_id(LINK, f"{LINK}::link-28")
    assert links["link-0"].inputs["after"] == "start"


def test_settle_returns_after_the_last_link_and_an_apply_on_the_first_does_not_see_it(pulumi_mocks):
    rec = pulumi_mocks({})
    seen_in_apply: list[int] = []

    def program():
        links = _chain()
        # The race the tests had: a check inside an apply on what it awaited, reading the recorder.
        return links[0].id.apply(lambda _: seen_in_apply.append(len(rec.of_type(LINK))) or _)

    first_id = settle(program)
    assert seen_in_apply and seen_in_apply[0] < LINKS  # inside the chain: the last links were not recorded yet
    names = [a.name for a in rec.of_type(LINK)]
    assert sorted(names) == sorted(f"link-{i}" for i in range(LINKS))  # after settle(): all of them
    assert rec.named(LINK, "link-1").inputs["after"] == first_id
