"""Calico's label-selector grammar (pure): tokenizer, parser, evaluation and canonical form.

A port of libcalico-go/lib/selector at Calico v3.28.2 (tokenizer/tokenizer.go,
parser/parser.go, parser/ast.go), so that a BGPPeer ``nodeSelector`` from stack config
is accepted exactly when calico-node would accept it, and is rendered in Calico's own
canonical form instead of verbatim. Grammar, as the Go parser implements it:

    selector   := <empty> | or
    or         := and ("||" and)*
    and        := op ("&&" op)*
    op         := "!"* ( "has(" label ")" | "all()" | "global()" | "(" or ")"
                       | label ("==" | "!=" | "contains" | "starts with" | "ends with") string
                       | label ("in" | "not in") "{" [string ("," string)*] "}" )
    label      := [a-zA-Z0-9_./-]{1,512}
    string     := '"' [^"]* '"' | "'" [^']* "'"

Operators after a label are recognised only right after it (``contains``, ``starts
with``, ``ends with``, ``not in``, ``in``), as in the Go tokenizer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

LABEL = r"[a-zA-Z0-9_./-]{1,512}"
_IDENT = re.compile("^" + LABEL)
_HAS = re.compile(r"^has\(\s*(" + LABEL + r")\s*\)")
_ALL = re.compile(r"^all\(\s*\)")
_GLOBAL = re.compile(r"^global\(\s*\)")
_NOT_IN = re.compile(r"^not\s*in\b")
_IN = re.compile(r"^in\b")
_CONTAINS = re.compile(r"^contains")
_STARTS = re.compile(r"^starts\s*with")
_ENDS = re.compile(r"^ends\s*with")
_WS = " \t"


class SelectorError(ValueError):
    pass


@dataclass(frozen=True)
class Tok:
    kind: str  # label string lbrace rbrace comma eq ne in notin contains starts ends all has lparen rparen and or global not eof
    value: str = ""


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    while True:
        text = text.lstrip(_WS)
        if not text:
            toks.append(Tok("eof"))
            return toks
        start = len(text)
        c = text[0]
        last = toks[-1].kind if toks else ""
        simple = {"(": "lparen", ")": "rparen", "{": "lbrace", "}": "rbrace", ",": "comma"}
        if c in simple:
            toks.append(Tok(simple[c]))
            text = text[1:]
        elif c in "\"'":
            end = text.find(c, 1)
            if end == -1:
                raise SelectorError("unterminated string")
            toks.append(Tok("string", text[1:end]))
            text = text[end + 1:]
        elif c == "=":
            if text[1:2] != "=":
                raise SelectorError("expected ==")
            toks.append(Tok("eq"))
            text = text[2:]
        elif c == "!":
            if text[1:2] == "=":
                toks.append(Tok("ne"))
                text = text[2:]
            else:
                toks.append(Tok("not"))
                text = text[1:]
        elif c == "&":
            if text[1:2] != "&":
                raise SelectorError("expected &&")
            toks.append(Tok("and"))
            text = text[2:]
        elif c == "|":
            if text[1:2] != "|":
                raise SelectorError("expected ||")
            toks.append(Tok("or"))
            text = text[2:]
        elif last == "label":
            for rx, kind in ((_CONTAINS, "contains"), (_STARTS, "starts"), (_ENDS, "ends"), (_NOT_IN, "notin"), (_IN, "in")):
                m = rx.match(text)
                if m:
                    toks.append(Tok(kind))
                    text = text[m.end():]
                    break
            else:
                raise SelectorError(f"unexpected characters after label '{toks[-1].value}', was expecting an operator")
        else:
            m = _HAS.match(text)
            if m:
                toks.append(Tok("has", m.group(1)))
                text = text[m.end():]
            elif (m := _ALL.match(text)):
                toks.append(Tok("all"))
                text = text[m.end():]
            elif (m := _GLOBAL.match(text)):
                toks.append(Tok("global"))
                text = text[m.end():]
            elif (m := _IDENT.match(text)):
                toks.append(Tok("label", m.group(0)))
                text = text[m.end():]
            else:
                raise SelectorError("unexpected characters")
        if len(text) >= start:
            raise SelectorError("infinite loop detected in tokenizer")


# AST: tuples, first element the node kind.
Node = tuple[Any, ...]
_VALUE_OPS = {"eq": "==", "ne": "!=", "contains": "contains", "starts": "starts with", "ends": "ends with"}


def parse(text: str) -> Node:
    toks = tokenize(text)
    if toks[0].kind == "eof":
        return ("all",)
    node, rest = _or(toks)
    if len(rest) != 1:
        raise SelectorError("unexpected content at end of selector")
    return node


def _or(toks: list[Tok]) -> tuple[Node, list[Tok]]:
    node, rest = _and(toks)
    nodes = [node]
    while rest[0].kind == "or":
        node, rest = _and(rest[1:])
        nodes.append(node)
    return (nodes[0] if len(nodes) == 1 else ("or", tuple(nodes))), rest


def _and(toks: list[Tok]) -> tuple[Node, list[Tok]]:
    node, rest = _op(toks)
    nodes = [node]
    while rest[0].kind == "and":
        node, rest = _op(rest[1:])
        nodes.append(node)
    return (nodes[0] if len(nodes) == 1 else ("and", tuple(nodes))), rest


def _op(toks: list[Tok]) -> tuple[Node, list[Tok]]:
    negated = False
    while toks[0].kind == "not":
        negated = not negated
        toks = toks[1:]
    t = toks[0]
    node: tuple[Any, ...]
    if t.kind == "has":
        node, rest = ("has", t.value), toks[1:]
    elif t.kind in ("all", "global"):
        node, rest = (t.kind,), toks[1:]
    elif t.kind == "label":
        if len(toks) < 3:
            raise SelectorError("unexpected end of string in middle of op")
        op, arg = toks[1], toks[2]
        if op.kind in _VALUE_OPS:
            if arg.kind != "string":
                raise SelectorError("expected string")
            node, rest = (op.kind, t.value, arg.value), toks[3:]
        elif op.kind in ("in", "notin"):
            if arg.kind != "lbrace":
                raise SelectorError("expected set literal")
            rest, values = toks[3:], []
            while rest[0].kind == "string":
                values.append(rest[0].value)
                rest = rest[1:]
                if rest[0].kind != "comma":
                    break
                rest = rest[1:]
            if rest[0].kind != "rbrace":
                raise SelectorError("expected }")
            node, rest = (op.kind, t.value, tuple(sorted(set(values)))), rest[1:]
        else:
            raise SelectorError("expected == or != after a label")
    elif t.kind == "lparen":
        node, rest = _or(toks[1:])
        if rest[0].kind != "rparen":
            raise SelectorError("expected )")
        rest = rest[1:]
    else:
        raise SelectorError(f"unexpected token {t.kind}")
    return (("not", node) if negated else node), rest


def evaluate(node: Node, labels: Mapping[str, str]) -> bool:
    kind = node[0]
    if kind in ("all", "global"):
        return True
    if kind == "has":
        return node[1] in labels
    if kind == "not":
        return not evaluate(node[1], labels)
    if kind == "and":
        return all(evaluate(n, labels) for n in node[1])
    if kind == "or":
        return any(evaluate(n, labels) for n in node[1])
    label, arg = node[1], node[2]
    present, val = label in labels, labels.get(label, "")
    if kind == "eq":
        return present and val == arg
    if kind == "ne":
        return not present or val != arg
    if kind == "contains":
        return present and arg in val
    if kind == "starts":
        return present and val.startswith(arg)
    if kind == "ends":
        return present and val.endswith(arg)
    if kind == "in":
        return present and val in arg
    if kind == "notin":
        return not present or val not in arg
    raise AssertionError(kind)


def _quote(s: str) -> str:
    q = "'" if '"' in s else '"'
    return q + s + q


def canonical(node: Node) -> str:
    """ast.go's String(): operators spaced, And/Or parenthesised, sets sorted and de-duplicated."""
    kind = node[0]
    if kind in ("all", "global"):
        return f"{kind}()"
    if kind == "has":
        return f"has({node[1]})"
    if kind == "not":
        return "!" + canonical(node[1])
    if kind in ("and", "or"):
        return "(" + (" && " if kind == "and" else " || ").join(canonical(n) for n in node[1]) + ")"
    if kind in ("in", "notin"):
        return f"{node[1]} {'in' if kind == 'in' else 'not in'} {{" + ", ".join(_quote(v) for v in node[2]) + "}"
    return f"{node[1]} {_VALUE_OPS[kind]} {_quote(node[2])}"


def canonicalise(text: str) -> str:
    return canonical(parse(text))
