"""The fields a rule may test: dotted paths into ``EnrichedMention``, derived from the schema models.

Deriving the catalog from the pydantic models keeps rules validation in step with the schema: a
field added there is usable in rules at once, a field removed there makes old rules fail to load.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from functools import cache
from typing import Any, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, NaiveDatetime

from schemas.enriched import EnrichedMention


class Kind(StrEnum):
    STR = "string"
    ENUM = "enum"
    INT = "integer"
    FLOAT = "number"
    BOOL = "boolean"
    STR_LIST = "list of strings"
    DATETIME = "timestamp"
    SCALAR = "metadata value"  # mention.metadata.<key>: str, number, bool or null


@dataclass(frozen=True, slots=True)
class FieldSpec:
    path: str
    kind: Kind
    nullable: bool
    choices: tuple[str, ...] = ()  # the allowed values of an enum field
    attrs: str = ""  # attribute chain from EnrichedMention (defaults to path)
    key: str | None = None  # for mention.metadata.<key>: the dict key below `attrs`

    def __post_init__(self) -> None:
        if not self.attrs:
            object.__setattr__(self, "attrs", self.path)


@dataclass(frozen=True, slots=True)
class _Catalog:
    fields: Mapping[str, FieldSpec]
    dict_prefixes: tuple[str, ...]  # e.g. "mention.metadata." -- any key below is a SCALAR field
    objects: tuple[str, ...]  # nested models, e.g. "mention.author": not testable, but a likely typo target
    optional_objects: frozenset[str]  # nested models that may be null, e.g. "enrichment.wave"


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) != len(get_args(annotation))
    return annotation, False


def _walk(
    model: type[BaseModel],
    prefix: str,
    fields: dict[str, FieldSpec],
    dict_prefixes: list[str],
    objects: list[str],
    optional_objects: set[str],
    inside_optional: bool = False,
) -> None:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation, nullable = _unwrap_optional(info.annotation)
        nullable = nullable or inside_optional  # below a null object every field reads as null
        origin = get_origin(annotation)
        kind: Kind | None = None
        choices: tuple[str, ...] = ()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            objects.append(path)
            if nullable:
                optional_objects.add(path)
            _walk(annotation, f"{path}.", fields, dict_prefixes, objects, optional_objects, nullable)
            continue
        if origin is dict:
            dict_prefixes.append(f"{path}.")
            continue
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            kind, choices = Kind.ENUM, tuple(str(m.value) for m in annotation)
        elif annotation is bool:
            kind = Kind.BOOL
        elif annotation is int:
            kind = Kind.INT
        elif annotation is float:
            kind = Kind.FLOAT
        elif annotation is str:
            kind = Kind.STR
        elif annotation in (AwareDatetime, NaiveDatetime) or (
            isinstance(annotation, type) and issubclass(annotation, date)
        ):
            kind = Kind.DATETIME
        elif origin in (tuple, list) and get_args(annotation)[:1] == (str,):
            kind = Kind.STR_LIST
        if kind is None:
            continue  # e.g. tuple[PriorityReason, ...]: not something a rule can sensibly test
        fields[path] = FieldSpec(path, kind, nullable, choices)


@cache
def _catalog() -> _Catalog:
    fields: dict[str, FieldSpec] = {}
    prefixes: list[str] = []
    objects: list[str] = []
    optional_objects: set[str] = set()
    _walk(EnrichedMention, "", fields, prefixes, objects, optional_objects)
    return _Catalog(fields, tuple(prefixes), tuple(objects), frozenset(optional_objects))


def may_be_null(attrs: str) -> bool:
    """Whether the object at this attribute chain from EnrichedMention may be None (e.g. enrichment.wave)."""
    return attrs in _catalog().optional_objects


def known_fields() -> tuple[str, ...]:
    """Every testable path, with dict fields shown as e.g. 'mention.metadata.<key>'."""
    cat = _catalog()
    return (*cat.fields, *(f"{p}<key>" for p in cat.dict_prefixes))


def suggest_field(path: str) -> str:
    """' (did you mean ...?)' for an unknown path; a near-miss of a nested object suggests its fields."""
    cat = _catalog()
    close = difflib.get_close_matches(path, [*known_fields(), *cat.objects], n=1, cutoff=0.6)
    if not close:  # e.g. 'priority' for 'enrichment.priority': match on the last segment
        last = path.rsplit(".", 1)[-1]
        ends = {f.rsplit(".", 1)[-1]: f for f in reversed(known_fields())}
        close = [ends[m] for m in difflib.get_close_matches(last, list(ends), n=1, cutoff=0.8)]
    if not close:
        return ""
    if close[0] not in cat.objects:
        return f" (did you mean '{close[0]}'?)"
    depth = close[0].count(".") + 1
    children = [f"'{f}'" for f in known_fields() if f.startswith(f"{close[0]}.") and f.count(".") == depth]
    shown = ", ".join(children[:-1]) + f" or {children[-1]}" if len(children) > 1 else children[0]
    return f" (did you mean {shown}?)" if len(children) <= 4 else f" (fields under '{close[0]}': {', '.join(children)})"


def resolve(path: str) -> FieldSpec | None:
    cat = _catalog()
    spec = cat.fields.get(path)
    if spec is not None:
        return spec
    for prefix in cat.dict_prefixes:
        key = path[len(prefix) :]
        if path.startswith(prefix) and key:
            return FieldSpec(path, Kind.SCALAR, True, attrs=prefix[:-1], key=key)
    return None
