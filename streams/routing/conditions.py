"""Condition trees: parsed from YAML nodes, validated, and compiled to Python expressions.

Negation is pushed down to the leaves at compile time (De Morgan), so a compiled tree only has
``all``/``any`` nodes over leaves. That keeps the generated code flat and makes "which leaf
conditions were true" well defined for ``Decision.matched``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from pydantic import JsonValue

from schemas.routed import MatchedCondition
from streams.routing.codegen import Codegen, Compiled
from streams.routing.fields import FieldSpec, Kind, resolve, suggest_field
from streams.routing.yamlsrc import Node, Reporter, describe, suggest

# (runtime value, expected value as reported) or an error message.
Checked = tuple[Any, JsonValue] | str

COMBINATORS = ("all", "any", "not")
MAX_DEPTH = 32  # far beyond any sane rule; keeps generated expressions within the parser's limits
# YAML aliases can make a small file expand to a huge tree (*a used twice per level): stop early.
MAX_LEAVES = 10_000
_REPORT_CACHE_SIZE = 512
# Matched text fields (mention.text ...) are reported shortened: the full text is already in the record.
MAX_REPORTED_CHARS = 200


@dataclass(frozen=True, slots=True, eq=False)
class Leaf:
    field: FieldSpec
    op: str  # as reported, e.g. "gte", "not_in", "not contains"
    expected: JsonValue
    var: str  # the generated-code variable holding the field's value
    code: Compiled
    # MatchedCondition per actual value: validating a new one costs several µs, and most actual
    # values (enums, languages, flags, small ints) repeat. Bounded; entries are immutable.
    reports: dict[Any, MatchedCondition] = dataclasses.field(default_factory=dict)

    def report(self, actual: Any) -> MatchedCondition:
        # Metadata values are untyped: keep True, 1 and 1.0 apart.
        key = (type(actual), actual) if self.field.kind is Kind.SCALAR else actual
        found = self.reports.get(key)
        if found is not None:
            return found
        long_text = isinstance(actual, str) and len(actual) > MAX_REPORTED_CHARS
        shown = f"{actual[:MAX_REPORTED_CHARS]}…" if long_text else to_json(actual)
        found = MatchedCondition(field=self.field.path, op=self.op, expected=self.expected, actual=shown)
        if not long_text and len(self.reports) < _REPORT_CACHE_SIZE:  # free text rarely repeats
            self.reports[key] = found
        return found


@dataclass(frozen=True, slots=True, eq=False)
class AllOf:
    children: tuple[Cond, ...]
    code: Compiled


@dataclass(frozen=True, slots=True, eq=False)
class AnyOf:
    children: tuple[Cond, ...]
    code: Compiled


Cond = Leaf | AllOf | AnyOf


def to_json(value: Any) -> JsonValue:
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def matched_code(cond: Cond, cg: Codegen, indent: str) -> tuple[list[str], str]:
    """(statements, expression) giving the MatchedConditions for the leaves that made ``cond`` true.

    Only valid where ``cond`` holds. An ``any`` reports its first true branch (testing all but the
    last, which must then hold). Leaves-only conditions become one tuple display; anything with an
    ``any`` becomes statements appending to a list.
    """
    if isinstance(cond, Leaf):
        return [], f"({_report_expr(cond, cg)},)"
    if isinstance(cond, AllOf) and all(isinstance(c, Leaf) for c in cond.children):
        return [], "(" + ", ".join(_report_expr(c, cg) for c in cond.children if isinstance(c, Leaf)) + ",)"
    return [f"{indent}_m = []", *_append_lines(cond, cg, indent)], "tuple(_m)"


def _append_lines(cond: Cond, cg: Codegen, indent: str) -> list[str]:
    if isinstance(cond, Leaf):
        return [f"{indent}_m.append({_report_expr(cond, cg)})"]
    if isinstance(cond, AllOf):
        return [line for child in cond.children for line in _append_lines(child, cg, indent)]
    # `while True: if a: ...; break` rather than if/elif: an elif chain nests in the AST, and a long
    # `any` list would exceed the compiler's recursion limit.
    inner = indent + "    "
    lines = [f"{indent}while True:"]
    for child in cond.children[:-1]:
        lines += [f"{inner}if {child.code[0]}:", *_append_lines(child, cg, inner + "    "), f"{inner}    break"]
    return [*lines, *_append_lines(cond.children[-1], cg, inner), f"{inner}break"]


def _report_expr(leaf: Leaf, cg: Codegen) -> str:
    report, x = cg.const(leaf.report), leaf.var
    if leaf.field.kind is Kind.SCALAR:
        return f"{report}({x})"
    cache = cg.const(leaf.reports)  # inline the cache hit: saves a Python call per reported leaf
    return f"({cache}[{x}] if {x} in {cache} else {report}({x}))"


# --- combinators -------------------------------------------------------------------------------


def all_of(children: list[Cond]) -> Cond:
    flat: list[Cond] = []
    for child in children:
        flat.extend(child.children if isinstance(child, AllOf) else (child,))
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat), _join(" and ", flat))


def any_of(children: list[Cond]) -> Cond:
    flat: list[Cond] = []
    for child in children:
        flat.extend(child.children if isinstance(child, AnyOf) else (child,))
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat), _join(" or ", flat))


def _join(operator: str, children: list[Cond]) -> Compiled:
    variables = dict.fromkeys(v for c in children for v in c.code[1])  # ordered, distinct
    return "(" + operator.join(c.code[0] for c in children) + ")", tuple(variables)


# --- operators: value checks ---------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scalar_error(spec: FieldSpec, value: Any) -> str | None:
    kind = spec.kind
    if kind is Kind.ENUM:
        if not isinstance(value, str) or value not in spec.choices:
            hint = suggest(value, spec.choices) if isinstance(value, str) else ""
            return f"must be one of {', '.join(spec.choices)}; got {describe(value)}{hint}"
    elif kind is Kind.STR:
        if not isinstance(value, str):
            return f"needs a string, got {describe(value)} (quote it)"
    elif kind in (Kind.INT, Kind.FLOAT):
        if not _is_number(value):
            return f"needs a number, got {describe(value)}"
    elif kind is Kind.BOOL:
        if not isinstance(value, bool):
            return f"needs true or false, got {describe(value)}"
    elif not isinstance(value, str | int | float | bool):  # SCALAR (metadata)
        hint = " (use exists: false to test for a missing value)" if value is None else ""
        return f"needs a string, number or boolean, got {describe(value)}{hint}"
    return None


def _check_one(spec: FieldSpec, value: Any) -> Checked:
    err = _scalar_error(spec, value)
    return err if err else (value, value)


def _check_many(spec: FieldSpec, value: Any) -> Checked:
    if not isinstance(value, list) or not value:
        return f"needs a non-empty list of values, got {describe(value)}"
    for item in value:
        err = _scalar_error(spec, item)
        if err:
            return f"list item {err}"
    return frozenset(value), list(value)


def _check_number(spec: FieldSpec, value: Any) -> Checked:
    return (value, value) if _is_number(value) else f"needs a number, got {describe(value)}"


def _check_string(spec: FieldSpec, value: Any) -> Checked:
    return (value, value) if isinstance(value, str) and value else f"needs a non-empty string, got {describe(value)}"


def _check_regex(spec: FieldSpec, value: Any) -> Checked:
    if not isinstance(value, str) or not value:
        return f"needs a regular expression string, got {describe(value)}"
    try:
        return re.compile(value).search, value
    except re.error as exc:
        return f"has an invalid regular expression '{value}': {exc}"


def _check_bool(spec: FieldSpec, value: Any) -> Checked:
    return (value, value) if isinstance(value, bool) else f"needs true or false, got {describe(value)}"


# --- operators: expressions -------------------------------------------------------------------
# A builder turns (field variable, constant name of the value) into a Python expression. Fields
# from the schema that cannot be null get the bare comparison; nullable fields and metadata values
# get a type guard, so e.g. `gt` on a missing value is simply false.

Builder = Callable[[FieldSpec, str, str, Codegen], str]


def _plain(template: str) -> Builder:
    return lambda spec, x, v, cg: "(" + template.format(x=x, v=v) + ")"


def _guarded(spec: FieldSpec, cg: Codegen, x: str, body: str, *, numeric: bool) -> str:
    if spec.kind is Kind.SCALAR:  # metadata values are untyped: test only those of the right type
        check = f"{cg.const(_is_number)}({x})" if numeric else f"isinstance({x}, str)"
        return f"({check} and {body})"
    if spec.nullable:
        return f"({x} is not None and {body})"
    return f"({body})"


def _comparison(symbol: str) -> Builder:
    return lambda spec, x, v, cg: _guarded(spec, cg, x, f"{x} {symbol} {v}", numeric=True)


def _contains(spec: FieldSpec, x: str, v: str, cg: Codegen) -> str:
    # `in` is substring for strings and membership for lists
    return _guarded(spec, cg, x, f"{v} in {x}", numeric=False)


def _matches(spec: FieldSpec, x: str, v: str, cg: Codegen) -> str:
    return _guarded(spec, cg, x, f"{v}({x}) is not None", numeric=False)


def _exists(spec: FieldSpec, x: str, v: str, cg: Codegen) -> str:
    if spec.kind is Kind.STR_LIST:  # a list "exists" when it has at least one item
        return f"(len({x}) > 0)" if cg.namespace[v] else f"(len({x}) == 0)"
    return f"({x} is not None)" if cg.namespace[v] else f"({x} is None)"


@dataclass(frozen=True, slots=True)
class Op:
    name: str
    kinds: frozenset[Kind]
    check: Callable[[FieldSpec, Any], Checked]
    build: Builder
    complement: str | None = None  # an operator that is exactly "not this" (for pushing `not` down)


_EQUALITY = frozenset({Kind.STR, Kind.ENUM, Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.SCALAR})
_MEMBERSHIP = frozenset({Kind.STR, Kind.ENUM, Kind.INT, Kind.FLOAT, Kind.SCALAR})
_ORDERED = frozenset({Kind.INT, Kind.FLOAT, Kind.SCALAR})
_TEXT = frozenset({Kind.STR, Kind.SCALAR})

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("eq", _EQUALITY, _check_one, _plain("{x} == {v}"), "ne"),
        Op("ne", _EQUALITY, _check_one, _plain("{x} != {v}"), "eq"),
        Op("in", _MEMBERSHIP, _check_many, _plain("{x} in {v}"), "not_in"),
        Op("not_in", _MEMBERSHIP, _check_many, _plain("{x} not in {v}"), "in"),
        Op("gt", _ORDERED, _check_number, _comparison(">")),
        Op("gte", _ORDERED, _check_number, _comparison(">=")),
        Op("lt", _ORDERED, _check_number, _comparison("<")),
        Op("lte", _ORDERED, _check_number, _comparison("<=")),
        Op("contains", _TEXT | {Kind.STR_LIST}, _check_string, _contains),
        Op("matches", _TEXT, _check_regex, _matches),
        Op("exists", frozenset(Kind), _check_bool, _exists),
    )
}


def _ops_for(kind: Kind) -> str:
    return ", ".join(name for name, op in OPS.items() if kind in op.kinds)


def _make_leaf(spec: FieldSpec, op: Op, value: Any, expected: JsonValue, cg: Codegen, *, negated: bool) -> Leaf:
    name = op.name
    if negated and op.name == "exists":
        value = expected = not value
    elif negated and op.complement is not None:
        op = OPS[op.complement]
        name = op.name
    elif negated:  # no exact complement (e.g. gt vs lte differ on null): wrap the test instead
        name = f"not {op.name}"
    cg.leaf_count += 1
    x = cg.var(spec)
    expr = op.build(spec, x, cg.const(value), cg)
    if name.startswith("not "):
        expr = f"(not {expr})"
    return Leaf(spec, name, expected, x, (expr, (x,)))


# --- parsing -----------------------------------------------------------------------------------


def parse_condition(
    node: Node, rep: Reporter, cg: Codegen, where: str, *, negated: bool = False, depth: int = 0
) -> Cond | None:
    """Compile one condition node (recursively); None when it has errors, which are reported to ``rep``."""
    if depth > MAX_DEPTH:
        rep.error(node, f"{where}: conditions nested more than {MAX_DEPTH} levels deep")
        return None
    if cg.leaf_count >= MAX_LEAVES:
        if cg.leaf_count == MAX_LEAVES:  # report once
            cg.leaf_count += 1
            rep.error(node, f"{where}: more than {MAX_LEAVES} conditions in the file (YAML aliases?)")
        return None
    keys = rep.mapping(node, f"{where}: condition", (*COMBINATORS, "field", *OPS), unknown="operator")
    if keys is None:
        return None
    combinators = [k for k in COMBINATORS if k in keys]
    ops = [k for k in OPS if k in keys]
    if len(combinators) > 1 or (combinators and ("field" in keys or ops)):
        rep.error(node, f"{where}: a condition is either one of all/any/not, or a field with one operator")
        return None
    if combinators:
        name = combinators[0]
        key_node, value_node = keys[name]
        if name == "not":
            return parse_condition(value_node, rep, cg, where, negated=not negated, depth=depth + 1)
        items = rep.sequence(value_node, f"{where}: '{name}'")
        if items is None:
            return None
        if not items:
            rep.error(key_node, f"{where}: '{name}' needs at least one condition")
            return None
        children = [parse_condition(item, rep, cg, where, negated=negated, depth=depth + 1) for item in items]
        parsed = [c for c in children if c is not None]
        if len(parsed) != len(children):
            return None
        # De Morgan: not(all) == any(not ...), not(any) == all(not ...)
        return all_of(parsed) if (name == "all") != negated else any_of(parsed)
    return _parse_leaf(node, keys, ops, rep, cg, where=where, negated=negated)


def _parse_leaf(
    node: Node,
    keys: dict[str, tuple[Node, Node]],
    ops: list[str],
    rep: Reporter,
    cg: Codegen,
    *,
    where: str,
    negated: bool,
) -> Leaf | None:
    if "field" not in keys:
        if ops:
            rep.error(keys[ops[0]][0], f"{where}: operator '{ops[0]}' needs a 'field' to test")
        elif not node.value:  # otherwise only unknown keys, already reported
            rep.error(node, f"{where}: empty condition (use a field with an operator, or all/any/not)")
        return None
    path = rep.string(keys["field"][1], f"{where}: 'field'")
    if path is None:
        return None
    spec = resolve(path)
    if spec is None:
        rep.error(keys["field"][1], f"{where}: unknown field '{path}'{suggest_field(path)}")
        return None
    if len(ops) != 1:
        if ops:
            several = ", ".join(ops)
            rep.error(keys[ops[1]][0], f"{where}: '{path}' has several operators ({several}); use all: to combine")
        elif len(keys) == len(node.value):  # else an unknown operator, already reported
            rep.error(node, f"{where}: '{path}' has no operator (use one of: {_ops_for(spec.kind)})")
        return None
    op = OPS[ops[0]]
    op_node, value_node = keys[op.name]
    if spec.kind not in op.kinds:
        usable = _ops_for(spec.kind)
        message = f"operator '{op.name}' does not apply to '{path}' ({spec.kind}); use one of: {usable}"
        rep.error(op_node, f"{where}: {message}")
        return None
    checked = op.check(spec, rep.value(value_node))
    if isinstance(checked, str):
        rep.error(value_node, f"{where}: '{op.name}' on '{path}' {checked}")
        return None
    value, expected = checked
    return _make_leaf(spec, op, value, expected, cg, negated=negated)
