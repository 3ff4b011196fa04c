"""hybrid.calico_selector: the tokenizer's edges and errors against Calico v3.28.2's own.

Source: projectcalico/calico libcalico-go/lib/selector/tokenizer/tokenizer.go and
parser/parser.go at v3.28.2: whitespace is only ' ' and '\\t' (trimWhitespace); a quoted
string ends at the next same quote and may be empty; the error values are
errors.New("unterminated string"), ("expected =="), ("expected &&"), ("expected ||"),
("unexpected characters"; after a label it goes on to say so); the parser's "unexpected
content at end of selector" (followed by the remaining tokens), "expected string", "expected
set literal", "expected }" and "expected )".
"""

from __future__ import annotations

import pytest

from hybrid import calico_selector as sel


@pytest.mark.parametrize("text,error", [
    ("a == 'b", "unterminated string"),
    ('a == "b', "unterminated string"),
    ("a = 'b'", "expected =="),
    ("a == 'b' & c == 'd'", "expected &&"),
    ("a == 'b' | c == 'd'", "expected ||"),
    ("a == 'b' #", "unexpected characters"),
    ("a == 'b' c == 'd'", "unexpected content at end of selector"),
    ("a == 'b'\n", "unexpected characters"),  # a newline is no whitespace to the Go tokenizer
    ("a ~ 'b'", "unexpected characters"),
    # parser.go: ErrExpectedString, ErrExpectedSetLit, ErrExpectedRBrace, ErrExpectedRParen
    ("a == b", "expected string"),
    ("a in 'b'", "expected set literal"),
    ("a in {'b'", "expected }"),
    ("(a == 'b'", "expected )"),
    ("a ==", "expected string"),                # the value is missing: end of input where a string goes
    ("a", "unexpected end of string"),           # ErrUnexpectedEOF: a label and nothing after it
    ("a (", "expected == or !="),                # after a label, an operator (upstream: "... not <token>")
    (")", "unexpected token"),                   # upstream: "unexpected token: <token>"
])
def test_bad_selector_carries_calicos_error(text, error):
    with pytest.raises(sel.SelectorError) as info:
        sel.parse(text)
    assert str(info.value).startswith(error)  # the parser's end-of-selector error appends the tokens upstream


@pytest.mark.parametrize("text,labels,expected", [
    ("a==''", {"a": ""}, True),              # empty string value, no spaces around ==
    ("a==''", {"a": "x"}, False),
    ('a=="b"', {"a": "b"}, True),
    ("a=='b'&&c!='d'", {"a": "b", "c": "e"}, True),
    ("Xa == 'x'", {"Xa": "x"}, True),        # a label may start with any letter, X too
    ("XX == 'y'", {"XX": "x"}, False),
    ("\ta == 'b'\t", {"a": "b"}, True),      # tabs are whitespace
])
def test_tokenizer_edges_evaluate_as_calico_does(text, labels, expected):
    assert sel.evaluate(sel.parse(text), labels) is expected
