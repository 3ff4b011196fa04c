"""Fixed-seed fuzzing of everything a user hands the CLI: stack configs generated from the
model's JSON schema, hostile mutations of the dev and prod stacks, and placement requests.

Hostile mutations draw from a seeded ``random.Random``; schema-generated cases come from
Hypothesis with ``derandomize=True``, each generator in a fresh interpreter (``generated``).
The cases are a function of the stack files, the schema and the generator code: the summary's
``inputs`` digest says whether two runs fed the same cases, so a count that moved with an edit
to a stack is told apart from a count that moved on its own.
Every case must end in exit 0, or exit 2 with one line per problem naming a field path and a
fix; never an exception, never past the time budget, and a rejected plan writes nothing.
The counts land in build/fuzz/<suite>.json and in the pytest terminal summary (conftest.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import signal
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import yaml
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from hypothesis_jsonschema import from_schema

from hybrid.errors import ConfigError
from hybrid.model import Platform, load
from hybrid.placement_input import PlacementInput
from hybrid_tools import cli, placement_cli
from hybrid_tools.stackconfig import read_stack
from tests.conftest import PROJECT, ROOT, stack_raw

BUDGET_S = 5.0  # per case, on a shared 2-core machine; a real case takes milliseconds
COUNTS_DIR = ROOT / "build" / "fuzz"
FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


class TimedOut(Exception):
    pass


@contextmanager
def budget(seconds: float = BUDGET_S):
    def fire(*_):
        raise TimedOut(f"over {seconds}s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class Tally:
    def __init__(self, suite: str):
        self.suite = suite
        self.c = Counter(cases=0, ok=0, rejected=0, crashes=0, timeouts=0)
        self.failures: list[str] = []
        self.log: list[str] = []  # one line per case: build/fuzz/<suite>.cases, to compare runs
        self.inputs = hashlib.sha256()  # over every case's input bytes, in order
        self.start = time.perf_counter()

    def feed(self, data: bytes) -> None:
        self.inputs.update(hashlib.sha256(data).digest())

    def record(self, what: str, detail: str = "") -> None:
        self.c["cases"] += 1
        self.c[what] += 1
        self.log.append(f"{self.c['cases']}\t{what}\t{detail[:160]!r}")
        if what in ("crashes", "timeouts") and len(self.failures) < 5:
            self.failures.append(detail)

    def write(self) -> dict:
        doc = {"suite": self.suite, **self.c, "inputs": self.inputs.hexdigest()[:12],
               "seconds": round(time.perf_counter() - self.start, 1)}
        COUNTS_DIR.mkdir(parents=True, exist_ok=True)
        (COUNTS_DIR / f"{self.suite}.json").write_text(json.dumps(doc, sort_keys=True) + "\n")
        (COUNTS_DIR / f"{self.suite}.cases").write_text("\n".join(self.log) + "\n")
        return doc

    def assert_clean(self) -> None:
        doc = self.write()
        assert doc["crashes"] == 0 and doc["timeouts"] == 0, f"{doc}: {self.failures}"
        assert doc["ok"] > 0 and doc["rejected"] > 0, f"the fuzzer exercised only one outcome: {doc}"


def _well_formed(err: ConfigError) -> str | None:
    """None when every problem is one line with a field path and a fix, else what is wrong."""
    if not err.issues:
        return "no issues"
    for issue in err.issues:
        line = issue.render()
        if not issue.path or "\n" in line or not issue.fix:
            return f"malformed issue line {line!r}"
    return None


def check_stack_bytes(data: bytes, tmp: Path, tally: Tally, via_cli: bool = False) -> None:
    """The `hybrid-gpu plan` path up to the program: read the file, validate the model."""
    tally.feed(data)
    cfg_file = tmp / "Pulumi.fuzz.yaml"
    cfg_file.write_bytes(data)
    try:
        with budget():
            platform = load(read_stack("fuzz", config_file=cfg_file).raw)
        assert isinstance(platform, Platform)
        tally.record("ok", hashlib.sha1(data).hexdigest()[:12])
        return
    except ConfigError as err:
        bad = _well_formed(err)
        if bad:
            tally.record("crashes", bad)
            return
        first = err.issues[0].render()
    except TimedOut:
        tally.record("timeouts", repr(data[:200]))
        return
    except Exception as exc:  # a crash the user would see as a traceback
        tally.record("crashes", f"{type(exc).__name__}: {exc} on {data[:200]!r}")
        return
    if via_cli:
        out = tmp / "out"
        err_stream = io.StringIO()
        real_err, sys.stderr = sys.stderr, err_stream
        try:
            rc = cli.main(["plan", "--stack", "fuzz", "--config", str(cfg_file), "--out", str(out), "--no-policy"])
        finally:
            sys.stderr = real_err
        text = err_stream.getvalue()
        if rc != 2 or "Traceback" in text or not text.startswith("invalid"):
            tally.record("crashes", f"CLI rc={rc} stderr={text[:200]!r}")
            return
        if out.exists() and any(out.rglob("*")):
            tally.record("crashes", f"rejected config wrote {sorted(out.rglob('*'))[:3]}")
            return
    tally.record("rejected", hashlib.sha1(data).hexdigest()[:12] + " " + first)


# --- generators ---------------------------------------------------------------

def _stack_text(stack: str) -> str:
    return (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()


HOSTILE_VALUES = [
    "a\nExecStartPre=/bin/sh -c 'touch /tmp/pwned'", "$(touch /tmp/pwned)", "`id`", "x'\"; rm -rf /",
    "\x00", "tab\there", "\u202egpj.exe", "line\u2028sep", "", " ", "1e999999999", "1e308", "inf", "nan",
    "-1", "\uff11\uff12", "\u0661\u0662", "9" * 5000, 10 ** 30, True, False, None, 7, "7", 0, -5, 1.5, 1e308,
    [], {}, ["x"], {"a": 1}, "999.1.1.1", "https://10.0.0.1", "10.0.0.1:6443", "10.0.0.1\n", "127.0.0.0/8",
    "169.254.0.0/16", "224.0.0.0/4", "100.64.0.0/10", "0.0.0.0/0", "cn-bejing", "cn-beijing-z", "../x",
    "/data/../etc", "/", "PL3", "cloud_auto", "a" * 300, "ecs.gn6i-c4g1.xlarge", "V100", "key=value:NoSchedule",
]

TEXT_ATTACKS = [
    "dup_line", "tag_set", "tag_binary", "timestamp", "top_list", "top_string", "top_int", "alias_bomb",
    "utf16", "bad_byte", "bom", "truncate", "int_key", "bool_key", "null_key", "long_int", "yes_bool",
    "two_docs", "deep", "env_twice",
]


def _paths(doc, prefix=()):
    """Every (path) to a value inside the stack's config."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append(prefix + (k,))
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append(prefix + (i,))
            out += _paths(v, prefix + (i,))
    return out


def _set(doc, path, value, delete=False):
    node = doc
    for p in path[:-1]:
        node = node[p]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


def mutate_stack(stack: str, attack: str, rnd: random.Random) -> bytes:
    text = _stack_text(stack)
    lines = text.splitlines()
    if attack == "value" or attack == "delete":
        doc = yaml.safe_load(text)
        path = rnd.choice(_paths(doc["config"]))
        _set(doc["config"], path, rnd.choice(HOSTILE_VALUES), delete=attack == "delete")
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8", "surrogatepass")
    i = rnd.randrange(len(lines))
    scalar_lines = [j for j, ln in enumerate(lines) if ": " in ln and not ln.rstrip().endswith(":") and not ln.lstrip().startswith("#")]
    j = rnd.choice(scalar_lines)
    key, _, _ = lines[j].partition(": ")
    if attack == "dup_line":
        lines.insert(i, lines[i])
    elif attack == "tag_set":
        lines[j] = f"{key}: !!set {{a, b}}"
    elif attack == "tag_binary":
        lines[j] = f"{key}: !!binary aGVsbG8="
    elif attack == "timestamp":
        lines[j] = f"{key}: 2024-09-26 10:00:00"
    elif attack == "top_list":
        return b"- config\n- 1\n"
    elif attack == "top_string":
        return b"just a string\n"
    elif attack == "top_int":
        return b"42\n"
    elif attack == "alias_bomb":
        bomb = ["  x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        bomb += [f"  x{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
        return (text.replace("config:\n", "config:\n  hybrid-gpu-platform:junk:\n" + "\n".join("  " + b for b in bomb) + "\n", 1)).encode()
    elif attack == "utf16":
        return text.encode("utf-16")
    elif attack == "bad_byte":
        raw = text.encode()
        k = rnd.randrange(len(raw))
        return raw[:k] + b"\xff\xfe" + raw[k:]
    elif attack == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    elif attack == "truncate":
        raw = text.encode()
        return raw[: rnd.randrange(len(raw))]
    elif attack in ("int_key", "bool_key", "null_key"):
        indent = len(lines[j]) - len(lines[j].lstrip(" -"))
        lines.insert(j, " " * indent + {"int_key": "1", "bool_key": "true", "null_key": "~"}[attack] + ": x")
    elif attack == "long_int":
        lines[j] = f"{key}: {'7' * 5000}"
    elif attack == "yes_bool":
        lines[j] = f"{key}: yes"
    elif attack == "two_docs":
        lines.append("---\nconfig: {}")
    elif attack == "deep":
        lines[j] = f"{key}: " + "[" * 200 + "]" * 200
    elif attack == "env_twice":
        lines = [ln for ln in lines]
        k = next(n for n, ln in enumerate(lines) if ln.strip().startswith(f"{PROJECT}:environment:"))
        lines.insert(k + 1, f"  {PROJECT}:environment: prod")
    return ("\n".join(lines) + "\n").encode()


def _schema_stack(raw: dict) -> bytes:
    doc = {"config": {f"{PROJECT}:{k}": v for k, v in raw.items()}}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8", "surrogatepass")


PLATFORM_SCHEMA = Platform.model_json_schema(by_alias=True)
PLACEMENT_SCHEMA = PlacementInput.model_json_schema()


# --- Hypothesis in a fresh interpreter ------------------------------------------
# Hypothesis draws about 5 % of its values from literals it harvests out of the project modules
# in sys.modules at draw time (hypothesis 6.155, "local constants"). What this process has
# imported by then depends on the tests run before it (pytest collects every test module; cli.main
# imports the plan machinery and the components lazily), so "derandomized" cases would drift with
# test order and selection. Each generator runs in a fresh interpreter that imports this module
# and nothing else first: the same modules, so the same constants, whatever ran before.

_GENERATE = """
import pickle, sys
from tests import test_fuzz_input as t
sys.stdout.buffer.write(pickle.dumps(t.generate_here(sys.argv[1], int(sys.argv[2]))))
"""


def generate_here(name: str, n: int) -> list:
    """The first ``n`` values Hypothesis generates from the strategy ``name`` under FUZZ."""
    values = []

    @settings(FUZZ, max_examples=n)
    @given(GENERATORS[name]())
    def collect(value):
        values.append(value)

    collect()
    return values


def generated(name: str, n: int) -> list:
    """``generate_here(name, n)`` in a fresh interpreter (see above).

    Generated first, judged after: generation never depends on a case's outcome (no shrinking,
    no targeting), and the list can be compared between runs."""
    import os
    import pickle
    import subprocess

    proc = subprocess.run([sys.executable, "-c", _GENERATE, name, str(n)], cwd=ROOT, capture_output=True, timeout=900,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return pickle.loads(proc.stdout)


def schema_sections():
    return st.sampled_from(sorted(PLATFORM_SCHEMA["properties"])).flatmap(_section)


def placement_texts():
    return from_schema(PLACEMENT_SCHEMA).map(json.dumps)


GENERATORS = {"schema_sections": schema_sections, "placement_texts": placement_texts}


# --- the fuzz runs ------------------------------------------------------------

STACK_CASES = 200
SCHEMA_CASES = 40
PLACEMENT_MUTATIONS = 120
PLACEMENT_SCHEMA_CASES = 30


SEED = 20261129  # mutations draw from random.Random(SEED): the same cases on every run, in any test order


def stack_mutation_cases() -> list[bytes]:
    attacks = ["value"] * 6 + ["delete"] * 2 + TEXT_ATTACKS
    rng = random.Random(SEED)
    cases = []
    for _ in range(STACK_CASES):
        stack, attack = rng.choice(["dev", "prod"]), rng.choice(attacks)
        cases.append(mutate_stack(stack, attack, random.Random(rng.getrandbits(64))))
    return cases


def test_fuzz_stack_mutations(tmp_path_factory):
    tally = Tally("stack-mutations")
    for n, data in enumerate(stack_mutation_cases()):
        check_stack_bytes(data, tmp_path_factory.mktemp("m"), tally, via_cli=n % 10 == 0)
    # The unmutated stacks themselves are accepted.
    for stack in ("dev", "prod"):
        check_stack_bytes(_stack_text(stack).encode(), tmp_path_factory.mktemp("s"), tally)
    tally.assert_clean()


def _section(key: str):
    """Values for one top-level config key, generated from its part of the model's JSON schema.

    One section at a time, spliced into the dev stack: generating whole platforms from the full
    schema costs seconds per case, and the other sections stay valid so the generated one is
    what gets judged."""
    schema = {"$defs": PLATFORM_SCHEMA.get("$defs", {}), **PLATFORM_SCHEMA["properties"][key]}
    return from_schema(schema).map(lambda value: (key, value))


def test_fuzz_stack_from_schema(tmp_path_factory):
    tally = Tally("stack-schema")
    for key, value in generated("schema_sections", SCHEMA_CASES):
        raw = stack_raw("dev")
        raw[key] = value
        check_stack_bytes(_schema_stack(raw), tmp_path_factory.mktemp("g"), tally)
    check_stack_bytes(_stack_text("dev").encode(), tmp_path_factory.mktemp("s"), tally)
    tally.assert_clean()


GOOD_REQUEST = {
    "replicas": 12, "strategy": "dynamic",
    "request": {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": 1},
    "clusters": [
        {"name": "idc-1", "tier": 0, "weight": 3,
         "nodes": [{"allocatable": {"pods": 110, "cpu": "32", "memory": "256Gi", "nvidia.com/gpu": 4}}]},
        {"name": "cn-hangzhou", "tier": 1, "available_replicas": 20},
        {"name": "cn-beijing", "tier": 1, "allocatable": {"pods": 110, "cpu": "64", "memory": "512Gi", "nvidia.com/gpu": 8}},
    ],
    "previous": {"idc-1": 3},
}


def _problem_lines(text: str) -> list[str]:
    """One line when there is one problem; else a count line and one "  - " line per problem."""
    lines = text.splitlines()
    if len(lines) == 1:
        return lines if lines[0].startswith("hybrid-gpu placement: invalid input: ") else []
    return [ln for ln in lines[1:] if ln.startswith("  - ")] if len(lines) - 1 == len([ln for ln in lines if ln.startswith("  - ")]) else []


def check_placement_text(text: str, tally: Tally) -> None:
    tally.feed(text.encode("utf-8", "surrogatepass"))
    out, err = io.StringIO(), io.StringIO()
    try:
        with budget():
            rc = placement_cli.run("-", out=out, err=err, stdin=io.StringIO(text))
    except TimedOut:
        tally.record("timeouts", text[:200])
        return
    except Exception as exc:
        tally.record("crashes", f"{type(exc).__name__}: {exc} on {text[:200]!r}")
        return
    if rc == 0:
        json.loads(out.getvalue())
        tally.record("ok")
    elif rc == 2 and _problem_lines(err.getvalue()) and "Fix:" in err.getvalue():
        tally.record("rejected")
    else:
        tally.record("crashes", f"rc={rc} err={err.getvalue()[:200]!r}")


def mutate_request(rnd: random.Random) -> str:
    doc = json.loads(json.dumps(GOOD_REQUEST))
    kind = rnd.choice(["value", "value", "value", "delete", "text"])
    if kind == "text":
        text = json.dumps(doc)
        return rnd.choice([
            text.replace('"replicas": 12', '"replicas": 12, "replicas": 1'),
            text.replace('"32"', '"1e999999999"'), text.replace("12", "9" * 5000), text.replace("12", "1e400"),
            text.replace("12", "NaN"), text.replace("12", "Infinity"), "[" * 5000, "[]", '"x"', text[: rnd.randrange(len(text))],
            text.replace('"32"', '"\uff13\uff12"'), text.replace('"32"', '"\u0663\u0662"'),
        ])
    path = rnd.choice(_paths(doc))
    _set(doc, path, rnd.choice(HOSTILE_VALUES), delete=kind == "delete")
    return json.dumps(doc)


def placement_mutation_cases() -> list[str]:
    rng = random.Random(SEED)
    return [mutate_request(random.Random(rng.getrandbits(64))) for _ in range(PLACEMENT_MUTATIONS)]


def test_fuzz_placement_requests():
    tally = Tally("placement")
    for text in placement_mutation_cases():
        check_placement_text(text, tally)
    for text in generated("placement_texts", PLACEMENT_SCHEMA_CASES):
        check_placement_text(text, tally)
    check_placement_text(json.dumps(GOOD_REQUEST), tally)
    tally.assert_clean()


# --- the cases are the same on every run ----------------------------------------

def case_digests(schema_cases: int) -> dict[str, str]:
    """A digest of each generator's case list (the schema sections cut to ``schema_cases``: they
    cost ~0.2 s each to generate)."""
    def digest(values) -> str:
        return hashlib.sha256(json.dumps(values, sort_keys=True, default=repr).encode()).hexdigest()[:16]

    return {
        "stack-mutations": digest([d.decode("utf-8", "backslashreplace") for d in stack_mutation_cases()]),
        "placement-mutations": digest(placement_mutation_cases()),
        "placement-schema": digest(generated("placement_texts", PLACEMENT_SCHEMA_CASES)),
        "stack-schema": digest(generated("schema_sections", schema_cases)),
    }


_DIGESTS = """
import json, sys
if sys.argv[1] == "after-plan":  # what cli.main imports before a plan: many more literals in sys.modules
    import components.platform, hybrid_tools.plan
from tests.test_fuzz_input import case_digests
print(json.dumps(case_digests(10)))
"""


def test_every_generator_gives_the_same_cases_whatever_ran_before_and_whatever_the_hash_seed():
    import os
    import subprocess

    runs = {}
    procs = {(seed, mode): subprocess.Popen([sys.executable, "-c", _DIGESTS, mode], cwd=ROOT, text=True,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            env={**os.environ, "PYTHONHASHSEED": seed})
             for seed, mode in (("1", "fresh"), ("2", "after-plan"))}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        runs[key] = json.loads(out)
    fresh, after_plan = runs.values()
    assert fresh == after_plan, runs
