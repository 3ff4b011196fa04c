"""hybrid_tools/validators.py on a small hand-written tree: what ``discover`` finds, and the page and data
built from it.

Expectations are worked by hand from the sources below (line numbers counted in the text as written
here), not from the module's own tables.
"""

from __future__ import annotations

import codecs
import textwrap
from pathlib import Path

import pytest

from hybrid_tools import validators
from hybrid_tools.errors import InputError

# Line numbers (1-based) are noted beside each validator.
MODEL_A = textwrap.dedent("""\
    import pydantic
    from pydantic import AfterValidator, BaseModel, field_validator, model_validator

    Word = Annotated[str, AfterValidator(_word)]
    Pair = Annotated[str, pydantic.AfterValidator(_low), Other(AfterValidator(_high))]
    x, y = AfterValidator(_tuple_target), 2
    a = b = AfterValidator(_two_targets)
    Plain = Annotated[str, Field(max_length=3)]


    class Pool(BaseModel):
        size: int

        @field_validator("size")
        def _size(cls, v):
            return v

        @pydantic.model_validator(mode="after")
        def _whole(self):
            return self

        @model_validator
        def _bare(self):
            return self

        @property
        def other(self):
            return 1

        def plain(self):
            return 2


    @cross_check
    def _ranges(p):
        pass


    @warning_check
    def _preference(p):
        pass


    @checks.cross_check
    @warning_check
    def _both(p):
        pass


    @other_decorator
    def _not_a_check(p):
        pass


    cross_check(check_thing)
    cross_check(module.check)
    helper(check_other)


    @registry["x"]
    @make()()
    def _odd(p):
        pass
    """)
# Word:4, Pair:5, Pool._size:15, Pool._whole:19, Pool._bare:23, _ranges:35, _preference:40,
# _both:46 (def line; decorators above it), cross_check(check_thing):55, cross_check(module.check):56

MODEL_B = textwrap.dedent("""\
    class Zone(BaseModel):
        @field_validator("id")
        def _id(cls, v):
            return v
    """)

POLICY = textwrap.dedent("""\
    A, M = "advisory", "mandatory"


    @resource_policy(name="p-advisory", level=A, description="d")
    def one(args, report):
        pass


    TWO = stack_policy(name="p-mandatory", level=M)
    THREE = rules.resource_policy(name='p-spelled', level=ADVISORY)
    other(name="not-a-policy", level=A)
    handlers["x"](name="not-a-policy-either", level=A)
    """)

EXPECTED_A = [
    ("a.Pool._size", "hybrid/model/a.py:15", "error"),
    ("a.Pool._whole", "hybrid/model/a.py:19", "error"),
    ("a.Pool._bare", "hybrid/model/a.py:23", "error"),
    ("a._ranges", "hybrid/model/a.py:35", "error"),
    ("a._preference", "hybrid/model/a.py:40", "warning"),
    ("a._both", "hybrid/model/a.py:46", "error"),
    ("a._both", "hybrid/model/a.py:46", "warning"),
    ("a.cross_check(check_thing)", "hybrid/model/a.py:55", "error"),
    ("a.cross_check(module.check)", "hybrid/model/a.py:56", "error"),
]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    model, rules = tmp_path / "hybrid" / "model", tmp_path / "policy" / "rules"
    model.mkdir(parents=True)
    rules.mkdir(parents=True)
    # b before a on disk: discover reads the files in name order
    (model / "b.py").write_text(MODEL_B, encoding="utf-8")
    (model / "a.py").write_text(MODEL_A, encoding="utf-8")
    (model / "notes.txt").write_text("@cross_check\ndef _no(p): pass\n", encoding="utf-8")
    (rules / "net.py").write_text(POLICY, encoding="utf-8")
    monkeypatch.setattr(validators, "ROOT", tmp_path)
    monkeypatch.setattr(validators, "MODEL_DIR", model)
    monkeypatch.setattr(validators, "POLICY_RULES", rules)
    monkeypatch.setattr(validators, "DOC_PATH", tmp_path / "docs" / "validators.md")
    (tmp_path / "docs").mkdir()
    return tmp_path


def _ids(found):
    return [(f.id, f.where, f.level) for f in found]


def test_discover_reads_each_kind_of_validator(tree):
    found = _ids(validators.discover())
    annotated = [f for f in found if ":" in f[0].split(".", 1)[1] and not f[0].startswith("policy.")]
    # Annotated types: one per AfterValidator call under a single-name assignment (nested calls too)
    assert sorted(annotated) == sorted([
        ("a.Word:_word", "hybrid/model/a.py:4", "error"),
        ("a.Pair:_low", "hybrid/model/a.py:5", "error"),
        ("a.Pair:_high", "hybrid/model/a.py:5", "error"),
    ])
    rest = [f for f in found if f not in annotated]
    model_rest = [f for f in rest if not f[0].startswith("policy.")]
    assert model_rest == [*EXPECTED_A, ("b.Zone._id", "hybrid/model/b.py:3", "error")]
    assert sorted(f for f in found if f[0].startswith("policy.")) == [
        ("policy.p-advisory", "policy/rules/net.py:4", "warning"),
        ("policy.p-mandatory", "policy/rules/net.py:9", "error"),
        ("policy.p-spelled", "policy/rules/net.py:10", "error"),
    ]
    # model files in name order, each file's nodes in source order, policies after the model
    assert [f[0] for f in found][:3] == ["a.Word:_word", "a.Pair:_low", "a.Pair:_high"]
    assert found.index(("b.Zone._id", "hybrid/model/b.py:3", "error")) == len(found) - 4


def _sources(found, form=()):
    return {f.id: (f"not a rule: {f.id}" if f.id in form else f"rule of {f.id}", f"source of {f.id}") for f in found}


def test_rows_pair_each_validator_with_its_source_and_mark_forms(tree, monkeypatch):
    found = validators.discover()
    monkeypatch.setattr(validators, "SOURCES", _sources(found, form={"a._ranges"}))
    rows = validators.rows()
    assert [(f.id, f.where, f.level, what, src) for f, what, src in rows][3] == \
        ("a.Pool._size", "hybrid/model/a.py:15", "error", "rule of a.Pool._size", "source of a.Pool._size")
    levels = {f.id: f.level for f, _, _ in rows}
    assert levels["a._ranges"] == "form" and levels["a._preference"] == "warning" and levels["a.Pool._bare"] == "error"
    assert len(rows) == len(found)


def test_a_validator_without_a_source_is_named_with_the_fix(tree, monkeypatch):
    sources = _sources(validators.discover())
    del sources["a._preference"], sources["policy.p-spelled"]
    monkeypatch.setattr(validators, "SOURCES", sources)
    with pytest.raises(InputError) as err:
        validators.rows()
    assert str(err.value) == ("validators without a source in hybrid_tools/validators.py SOURCES: a._preference, "
                              "policy.p-spelled. Fix: add each with its source, or make it a warning.")


def test_page_counts_levels_and_lists_each_row(tree, monkeypatch):
    found = validators.discover()
    monkeypatch.setattr(validators, "SOURCES", _sources(found, form={"a.Word:_word"}))
    page = validators.render()
    lines = page.split("\n")
    assert lines[0] == "# Validators" and lines[1] == ""
    assert lines[2] == ("Generated by `hybrid-gpu validators --write` from the code (`hybrid_tools/validators.py`); "
                        "a test fails on drift.")
    assert lines[3] == "" and lines[5] == ""
    assert lines[4] == ("Every rule that stops a stack config or the policy gate, with its source. `program:` names what this "
                        "program renders that the rule protects; a warning is printed by `hybrid-gpu plan` and does not stop it "
                        "(a preference, or a limit no source confirms for this use). Policies show their default enforcement "
                        "level (`mandatory` = error, `advisory` = warning); a stack's policy config can change it.")
    # 16 found: a.py 12 (3 annotated, 9 others), b.py 1, policy 3; warnings: _preference, _both, p-advisory;
    # forms: Word; errors: the other 12
    assert lines[6] == "16 validators: 12 errors, 3 warnings, 1 that only read a value's form (level `form`)."
    assert lines[7] == ""
    assert lines[8] == "| validator | level | rule | source | where |"
    assert lines[9] == "|---|---|---|---|---|"
    assert "| `a.Word:_word` | form | not a rule: a.Word:_word | source of a.Word:_word | `hybrid/model/a.py` |" in lines
    assert "| `b.Zone._id` | error | rule of b.Zone._id | source of b.Zone._id | `hybrid/model/b.py` |" in lines
    assert "| `policy.p-advisory` | warning | rule of policy.p-advisory | source of policy.p-advisory | `policy/rules/net.py` |" in lines
    assert len(lines) == 10 + 16 + 1 and page.endswith(" |\n")


def test_write_only_when_the_page_changes(tree, monkeypatch):
    monkeypatch.setattr(validators, "SOURCES", _sources(validators.discover()))
    assert validators.write() is True
    doc = tree / "docs" / "validators.md"
    assert doc.read_text(encoding="utf-8") == validators.render()
    assert validators.write() is False
    doc.write_text("stale\n", encoding="utf-8")
    assert validators.write() is True and doc.read_text(encoding="utf-8").startswith("# Validators\n")


def test_data_is_the_rows_as_dicts(tree, monkeypatch):
    monkeypatch.setattr(validators, "SOURCES", _sources(validators.discover(), form={"b.Zone._id"}))
    data = validators.data()
    assert data[0] == {"id": "a.Word:_word", "where": "hybrid/model/a.py:4", "level": "error",
                       "rule": "rule of a.Word:_word", "source": "source of a.Word:_word"}
    assert {"id": "b.Zone._id", "where": "hybrid/model/b.py:3", "level": "form",
            "rule": "not a rule: b.Zone._id", "source": "source of b.Zone._id"} in data
    assert len(data) == 16


def test_the_real_tree_has_the_policies_at_their_levels():
    # policy/README.md: ecs-gpu-lease-ending-soon is the advisory policy, ecs-disks-encrypted mandatory
    level = {f.id: (f.level, f.where.split(":")[0]) for f in validators.discover()}
    assert level["policy.ecs-gpu-lease-ending-soon"] == ("warning", "policy/rules/lease.py")
    assert level["policy.ecs-disks-encrypted"][0] == "error"
    assert level["base.LabelKey:_label_key"] == ("error", "hybrid/model/base.py")


class Recording(type(Path())):
    """A path that notes the encoding each read and write names (files found by glob are of the same class)."""

    encodings: list = []

    def read_text(self, encoding=None, errors=None):
        Recording.encodings.append(encoding)
        return super().read_text(encoding=encoding, errors=errors)

    def write_text(self, data, encoding=None, errors=None, newline=None):
        Recording.encodings.append(encoding)
        return super().write_text(data, encoding=encoding, errors=errors, newline=newline)


def test_sources_and_the_page_are_read_and_written_as_utf8_whatever_the_locale(tree, monkeypatch):
    # the model's sources and docs/validators.md are UTF-8; the locale's encoding may be another
    monkeypatch.setattr(validators, "MODEL_DIR", Recording(tree / "hybrid" / "model"))
    monkeypatch.setattr(validators, "POLICY_RULES", Recording(tree / "policy" / "rules"))
    monkeypatch.setattr(validators, "DOC_PATH", Recording(tree / "docs" / "validators.md"))
    monkeypatch.setattr(Recording, "encodings", [])
    monkeypatch.setattr(validators, "SOURCES", _sources(validators.discover()))
    assert validators.write() is True and validators.write() is False
    # 3 sources per discover (a.py, b.py, net.py), discover runs 3 times (twice in write's render, once above), then
    # the page: one write, and one read on the second write
    assert len(Recording.encodings) == 3 * 3 + 2
    assert all(e is not None and codecs.lookup(e).name == "utf-8" for e in Recording.encodings), Recording.encodings
