"""Compiling rules to Python code.

Each condition becomes a Python expression over local variables that hold field values, e.g.
``(_v_enrichment__intent == _k3 and _v_enrichment__intent_confidence >= _k4)``, and a whole rule set
becomes one ``decide`` function (see ``ruleset.compile_decide``): before each rule's
``if <condition>: return <Decision>`` it loads the fields that rule needs and no earlier rule
loaded, so every field is read at most once per event, and only when a rule needing it is reached.

Why: pydantic models define ``__getattr__``, which stops CPython from specialising attribute
access (~75 ns per ``.attr`` instead of ~20 ns). Reading each field once into a local, with no
Python call per condition, is what keeps ``decide()`` within a few µs.

The same rules also compile to ``decide_json`` over the record's parsed JSON (the route stage's
path, without pydantic): the loads become ``dict.get`` of the member, checked against the schema by
``streams.routing.jsonread`` (an inline type test, the reader only for other values); the conditions
and the Decision are the same code.

Safety: only attribute names from the schema catalog and generated identifiers reach the source;
every value from the rules file is bound as a named constant in the namespace, never spliced in.
"""

from __future__ import annotations

import linecache
from collections.abc import Iterable
from typing import Any

from streams.routing.fields import FieldSpec, may_be_null
from streams.routing.jsonread import MISSING, inline_test, reader_for

Compiled = tuple[str, tuple[str, ...]]  # (expression, names of the field variables it reads)


class Codegen:
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self._count = 0
        self.leaf_count = 0  # conditions compiled so far (the parser caps it)
        self._loads: dict[str, tuple[str, str]] = {}  # variable -> (parent variable, accessor source)
        # The same variables read from the record's parsed JSON (dicts) for ``decide_json``:
        # variable -> (parent variable, statements), each value checked by a jsonread reader.
        self._json_loads: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._missing: str | None = None
        self._key_vars: dict[tuple[str, str], str] = {}

    def const(self, value: Any) -> str:
        self._count += 1
        name = f"_k{self._count}"
        self.namespace[name] = value
        return name

    def var(self, spec: FieldSpec) -> str:
        """The local variable that holds ``spec``'s value in generated code."""
        parent = "em"
        attrs = spec.attrs.split(".")
        for depth, attr in enumerate(attrs):
            name = "_v_" + "__".join(attrs[: depth + 1])
            # Below an object that may be null (enrichment.wave), the value is null too, not an AttributeError.
            guarded = depth > 0 and may_be_null(".".join(attrs[:depth]))
            accessor = f".{attr} if {parent} is not None else None" if guarded else f".{attr}"
            self._loads.setdefault(name, (parent, accessor))
            if name not in self._json_loads:
                self._json_loads[name] = (parent, self._json_load(name, parent, attrs[: depth + 1], guarded))
            parent = name
        if spec.key is None:
            return parent
        found = self._key_vars.get((parent, spec.key))
        if found is not None:  # one variable per metadata key, however many conditions read it
            return found
        name = f"{parent}__key{len(self._key_vars)}"
        key = self.const(spec.key)
        self._loads[name] = (parent, f".get({key})")
        read = self.const(reader_for(f"{spec.attrs}.{spec.key}"))
        self._json_loads[name] = (parent, (f"{name} = {read}({parent}.get({key}))",))
        self._key_vars[(parent, spec.key)] = name
        return name

    def _json_load(self, name: str, parent: str, attrs: list[str], guarded: bool) -> tuple[str, ...]:
        """Statements reading ``name`` from its parent dict; the checking reader is called only when the
        value is not the usual well-formed one (see ``jsonread.inline_test``)."""
        path = ".".join(attrs)
        read = self.const(reader_for(path))
        get = f"{parent}.get({attrs[-1]!r}, {self._missing_const()})"
        test = inline_test(path)
        if guarded:  # below an object that may be null (enrichment.wave)
            return (f"{name} = {read}({get}) if {parent} is not None else None",)
        if test is None:
            return (f"{name} = {read}({get})",)
        template, constant = test
        check = template.format(x=name, c=self.const(constant) if constant is not None else "")
        return (f"{name} = {get}", f"if not ({check}): {name} = {read}({name})")

    def _missing_const(self) -> str:
        if self._missing is None:
            self._missing = self.const(MISSING)
        return self._missing

    def load_lines(
        self, variables: Iterable[str], done: set[str], indent: str = "    ", *, json: bool = False
    ) -> list[str]:
        """Statements assigning ``variables`` (and the objects they hang off) not yet in ``done``; updates it.

        ``json``: read them from the record's parsed JSON (``em`` is then a dict), checking each value.
        """
        lines: list[str] = []

        def need(var: str) -> None:
            if var in done or var == "em":
                return
            if json:
                parent, statements = self._json_loads[var]
                need(parent)
                lines.extend(f"{indent}{statement}" for statement in statements)
            else:
                parent, accessor = self._loads[var]
                need(parent)
                lines.append(f"{indent}{var} = {parent}{accessor}")
            done.add(var)

        for var in variables:
            need(var)
        return lines

    def define(self, name: str, lines: list[str]) -> Any:
        """Execute generated source (a ``def name(...)``) against the constants; return the function."""
        source = "\n".join(lines) + "\n"
        filename = f"<routing rules {id(self):x}: {name}>"
        # Registered so a traceback through generated code shows its lines instead of nothing.
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        scope = dict(self.namespace)
        exec(compile(source, filename, "exec"), scope)
        return scope[name]
