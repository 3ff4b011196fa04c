"""The offline runner's reading of stack outputs: plain data resolves exactly as the SDK's
Output.from_input resolves it (same containers and types), anything else goes through the SDK."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(asyncio.new_event_loop())


def _sdk(value):
    """(value, is_secret) as the SDK resolves ``value``: Output.from_input, read by an apply
    that also runs on unknowns (as the engine hands a stack output over)."""
    import pulumi

    out = pulumi.Output.from_input(value)
    seen = []
    secret = asyncio.get_event_loop().run_until_complete(out.apply(seen.append, run_with_unknowns=True).is_secret())
    return seen[0], secret


def _run(value):
    """(value, is_secret) as the offline runner resolves a stack output."""
    from hybrid_tools.mockrun import _resolve

    return asyncio.get_event_loop().run_until_complete(_resolve(value))


def _typed(value):
    """``value`` with every node's exact type beside it (so 1, 1.0 and True, [x] and (x,) differ)."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_typed(v) for v in value])
    return (type(value).__name__, value)


_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
_PLAIN = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(st.text(max_size=4), inner, max_size=4)), max_leaves=25)


@pytest.mark.parametrize("value", [{}, [], (), "", 0, 0.0, False, None, {"a": ()}, {"w": {"x": [1, 2.5, (3, "t")]}},
                                   [{"k": [True, None]}], ((),)])
def test_plain_outputs_resolve_as_the_sdk_resolves_them(loop, value):
    assert _typed(_run(value)) == _typed(_sdk(value))


def test_any_plain_output_resolves_as_the_sdk_resolves_it(loop):
    @settings(max_examples=150, derandomize=True, deadline=None)
    @given(_PLAIN)
    def check(value):
        assert _typed(_run(value)) == _typed(_sdk(value))

    check()


def test_outputs_holding_outputs_go_through_the_sdk(loop):
    import pulumi

    from hybrid_tools.mockrun import _NOT_PLAIN, _plain

    secret = {"scriptUrl": pulumi.Output.secret("oss://b/k"), "n": [1, (2,)]}
    assert _plain(secret) is _NOT_PLAIN
    assert _run(secret) == ({"scriptUrl": "oss://b/k", "n": [1, (2,)]}, True)
    assert _run({"a": pulumi.Output.from_input(3)}) == ({"a": 3}, False)
    # a non-string key is not plain: from_input passes the keys as keywords
    assert _plain({1: "x"}) is _NOT_PLAIN


def test_any_known_output_of_plain_data_resolves_as_the_sdk_resolves_it(loop):
    import pulumi

    @settings(max_examples=100, derandomize=True, deadline=None)
    @given(_PLAIN, st.booleans(), st.booleans())
    def check(value, secret, nested):
        out = pulumi.Output.secret(value) if secret else pulumi.Output.from_input(value)
        if nested:  # an Output of a mapping that holds this Output, as the stack outputs build them
            out = pulumi.Output.all(inner=out, n=1)
        # each side gets its own Output: from_input must not find one already resolved by the other
        again = pulumi.Output.secret(value) if secret else pulumi.Output.from_input(value)
        if nested:
            again = pulumi.Output.all(inner=again, n=1)
        assert _typed(_run(out)) == _typed(_sdk(again))

    check()


def test_unknown_output_resolves_as_the_sdk_resolves_it(loop):
    import pulumi

    def unknown():
        fut = {k: loop.create_future() for k in ("value", "known", "secret")}
        fut["value"].set_result(None)
        fut["known"].set_result(False)
        fut["secret"].set_result(True)
        return pulumi.Output(set(), fut["value"], fut["known"], fut["secret"])

    assert _run(unknown()) == _sdk(unknown())
