"""Reading an enriched record's JSON without pydantic, for the route stage.

The route stage reads records the enrich stage wrote, and validating them as ``EnrichedMention``
with pydantic was its largest cost. ``read_enriched`` parses with orjson and checks the document
with ``check_enriched``, code generated from the schema models: every member's type, enum values,
bounds, lengths and required members, the usual well-formed value accepted by an inline test and a
reader (``reader_for``) called only for the rest. The rules' generated ``decide_json`` reads the
fields it tests through the same readers (absent members read as their schema defaults).

Anything that does not pass raises ``MalformedRecordError`` naming the member. The stage then
validates the record with pydantic, which either rejects it with the schema's own message (the
record is dead-lettered with its reason and original bytes) or accepts a spelling this module does
not (a number in a string, a unix timestamp) and the record is routed from the model. Unknown
members are ignored, as the models ignore them.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, NamedTuple, Union, get_args, get_origin

import annotated_types
import orjson
from pydantic import AwareDatetime, BaseModel, NaiveDatetime, StringConstraints
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from schemas.enriched import EnrichedMention

Reader = Callable[[Any], Any]


class MalformedRecordError(ValueError):
    """The record does not have the shape the schema promises (see the message for the field)."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()  # what ``reader_for`` readers get for an absent member


@dataclass(frozen=True, slots=True)
class _Bounds:
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    lt: float | None = None
    min_len: int | None = None
    max_len: int | None = None


def _bounds(info: FieldInfo) -> _Bounds:
    found: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, StringConstraints):
            if item.min_length is not None:
                found["min_len"] = item.min_length
            if item.max_length is not None:
                found["max_len"] = item.max_length
        elif isinstance(item, annotated_types.Ge):
            found["ge"] = item.ge
        elif isinstance(item, annotated_types.Le):
            found["le"] = item.le
        elif isinstance(item, annotated_types.Gt):
            found["gt"] = item.gt
        elif isinstance(item, annotated_types.Lt):
            found["lt"] = item.lt
        elif isinstance(item, annotated_types.MinLen):
            found["min_len"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            found["max_len"] = item.max_length
    return _Bounds(**found)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) != len(get_args(annotation))
    return annotation, False


def _json_default(info: FieldInfo) -> Any:
    """The field's default as it reads in JSON (an enum as its value); MISSING when the field is required."""
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    if info.default is PydanticUndefined:
        return MISSING
    default = info.default
    return default.value if isinstance(default, Enum) else default


def _number_check(path: str, bounds: _Bounds) -> Callable[[float], None]:
    def check(value: float) -> None:
        if (
            (bounds.ge is not None and not value >= bounds.ge)
            or (bounds.le is not None and not value <= bounds.le)
            or (bounds.gt is not None and not value > bounds.gt)
            or (bounds.lt is not None and not value < bounds.lt)
        ):
            raise MalformedRecordError(f"{path}: {value!r} is out of range")

    return check


def _other(path: str, nullable: bool, default: Any, expected: str) -> Reader:
    """What a leaf reader does with anything but a well-formed value: absent, null or malformed."""

    def other(value: Any) -> Any:
        if value is MISSING:
            if default is MISSING:
                raise MalformedRecordError(f"{path}: required member missing")
            return default
        if value is None:
            if not nullable:
                raise MalformedRecordError(f"{path}: must not be null")
            return None
        raise MalformedRecordError(f"{path}: must be {expected}")

    return other


def _enum_reader(path: str, annotation: type[Enum], other: Reader) -> Reader:
    choices = frozenset(str(m.value) for m in annotation)
    expected = f"one of {', '.join(sorted(choices))}"

    def read_enum(value: Any) -> Any:
        if type(value) is str and value in choices:
            return value
        if type(value) is str:
            raise MalformedRecordError(f"{path}: must be {expected}")
        return other(value)

    return read_enum


def _str_reader(path: str, bounds: _Bounds, other: Reader) -> Reader:
    lo = bounds.min_len or 0
    hi = bounds.max_len

    def read_str(value: Any) -> Any:
        if type(value) is str:
            if len(value) < lo or (hi is not None and len(value) > hi):
                raise MalformedRecordError(f"{path}: length {len(value)} is outside {lo}..{hi}")
            return value
        return other(value)

    return read_str


def _bool_reader(other: Reader) -> Reader:
    def read_bool(value: Any) -> Any:
        return value if type(value) is bool else other(value)

    return read_bool


def _number_reader(path: str, exact: bool, bounds: _Bounds, other: Reader) -> Reader:
    check = _number_check(path, bounds)

    def read_number(value: Any) -> Any:
        kind = type(value)
        if kind is int or (kind is float and not exact):
            check(value)
            return value if exact else float(value)
        return other(value)

    return read_number


# What the fast path reads itself: calendar date, 'T' or ' ', hh:mm:ss, optional fraction, optional 'Z' or
# +hh:mm offset. Any other spelling goes to pydantic, which accepts or refuses it with its own message.
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:\d\d)?")


def _time_reader(path: str, aware: bool, other: Reader) -> Reader:
    def read_time(value: Any) -> Any:
        if type(value) is not str:
            return other(value)
        try:  # fromisoformat alone also takes forms pydantic refuses (week dates, "+05", "00.Z", ...)
            if _ISO_TIMESTAMP.fullmatch(value) is None:
                raise ValueError(value)
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise MalformedRecordError(f"{path}: not an ISO 8601 timestamp") from None
        if aware and parsed.tzinfo is None:
            raise MalformedRecordError(f"{path}: timestamp without a time zone")
        return parsed

    return read_time


def _strings_reader(path: str, other: Reader) -> Reader:
    def read_strings(value: Any) -> Any:
        if type(value) is not list:
            found = other(value)
            return found if found is None else tuple(found)
        for item in value:
            if type(item) is not str:
                raise MalformedRecordError(f"{path}: must be a list of strings")
        return tuple(value)

    return read_strings


def _leaf_reader(path: str, annotation: Any, nullable: bool, default: Any, bounds: _Bounds) -> Reader:
    """A function from the raw JSON member (or MISSING) to the value a rule sees; raises MalformedRecordError."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _enum_reader(path, annotation, _other(path, nullable, default, "a string"))
    if annotation is str:
        return _str_reader(path, bounds, _other(path, nullable, default, "a string"))
    if annotation is bool:
        return _bool_reader(_other(path, nullable, default, "true or false"))
    if annotation in (int, float):
        exact = annotation is int
        return _number_reader(
            path, exact, bounds, _other(path, nullable, default, "an integer" if exact else "a number")
        )
    if annotation in (AwareDatetime, NaiveDatetime) or (isinstance(annotation, type) and issubclass(annotation, date)):
        return _time_reader(path, annotation is AwareDatetime, _other(path, nullable, default, "a timestamp string"))
    if get_origin(annotation) in (tuple, list) and get_args(annotation)[:1] == (str,):
        return _strings_reader(path, _other(path, nullable, default, "a list of strings"))
    raise TypeError(f"{path}: no JSON reader for {annotation!r}")


def _object_reader(path: str, nullable: bool, default: Any) -> Reader:
    def read_object(value: Any) -> Any:
        if type(value) is dict:
            return value
        if value is MISSING:
            if default is MISSING:
                raise MalformedRecordError(f"{path}: required member missing")
            return default
        if value is None and nullable:
            return None
        raise MalformedRecordError(f"{path}: must be an object")

    return read_object


def _metadata_value(path: str) -> Reader:
    def read_value(value: Any) -> Any:
        if value is None or type(value) in (str, int, float, bool):
            return value
        raise MalformedRecordError(f"{path}: a metadata value must be a string, number, boolean or null")

    return read_value


@cache
def reader_for(attrs: str) -> Reader:
    """The reader of one member along an attribute chain from ``EnrichedMention`` (e.g. ``enrichment.wave.size``).

    It gets the member's raw JSON value (MISSING when absent) and returns what a rule sees: a checked
    scalar, a tuple for a list of strings, a dict for an object, the default when absent.
    ``mention.metadata.<key>`` reads one metadata value (absent reads as null, as ``dict.get``).
    """
    model: type[BaseModel] = EnrichedMention
    parts = attrs.split(".")
    for depth, name in enumerate(parts):
        info = model.model_fields.get(name)
        if info is None:
            raise KeyError(f"no field '{'.'.join(parts[: depth + 1])}' in EnrichedMention")
        annotation, nullable = _unwrap(info.annotation)
        path = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if last:
                return _object_reader(path, nullable, _json_default(info))
            model = annotation
            continue
        if get_origin(annotation) is dict:
            if last:
                return _object_reader(path, nullable, _json_default(info))
            return _metadata_value(attrs)  # the rest is one key, dots and all
        if not last:
            raise KeyError(f"'{path}' has no members")
        return _leaf_reader(path, annotation, nullable, _json_default(info), _bounds(info))
    raise KeyError(f"'{attrs}' is not a field")


def _leaf_info(attrs: str) -> tuple[Any, FieldInfo] | None:
    """(annotation, FieldInfo) of a schema member, or None for a metadata key."""
    model: type[BaseModel] = EnrichedMention
    parts = attrs.split(".")
    for depth, name in enumerate(parts):
        info = model.model_fields.get(name)
        if info is None:
            return None
        annotation, _ = _unwrap(info.annotation)
        if depth == len(parts) - 1:
            return annotation, info
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return None


@cache
def inline_test(attrs: str) -> tuple[str, Any] | None:
    """A Python test over ``{x}`` (and a constant ``{c}``) that holds for the usual well-formed value of the
    member, so generated code calls ``reader_for(attrs)`` only for the rest (absent, malformed ...): the
    reader would return such a value unchanged.

    None: always call the reader (lists, timestamps, metadata values, floats given as integers ...).
    """
    found = _leaf_info(attrs)
    if found is None:
        return None
    annotation, info = found
    return _inline(annotation, info, _unwrap(info.annotation)[1])


def _inline(annotation: Any, info: FieldInfo, nullable: bool) -> tuple[str, Any] | None:
    found = _inline_value(annotation, info)
    if found is None or not nullable:
        return found
    return "{x} is None or (" + found[0] + ")", found[1]


def _inline_value(annotation: Any, info: FieldInfo) -> tuple[str, Any] | None:
    bounds = _bounds(info)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "type({x}) is dict", None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "type({x}) is str and {x} in {c}", frozenset(str(m.value) for m in annotation)
    if bounds.gt is not None or bounds.lt is not None:
        return None
    if annotation is str:
        test = "type({x}) is str"
        if bounds.min_len or bounds.max_len is not None:
            hi = "" if bounds.max_len is None else f" <= {int(bounds.max_len)}"
            test += f" and {int(bounds.min_len or 0)} <= len({{x}}){hi}"
        return test, None
    if annotation is bool:
        return "type({x}) is bool", None
    if annotation in (int, float):
        test = f"type({{x}}) is {annotation.__name__}"
        if bounds.ge is not None:
            test += f" and {{x}} >= {float(bounds.ge)!r}"
        if bounds.le is not None:
            test += f" and {{x}} <= {float(bounds.le)!r}"
        return test, None
    return None


class _CheckerSource:
    """Generates ``check_enriched``: every member of ``EnrichedMention`` checked as its reader would (type,
    enum values, bounds, lengths, required members), with the usual well-formed value accepted inline
    (``inline_test``) and the reader called only for the rest. ~2 µs where pydantic took ~15-40."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"_MISSING": MISSING, "_bad": MalformedRecordError}
        self.lines = ["def check_enriched(o0):"]
        self._count = 0

    def const(self, value: Any) -> str:
        self._count += 1
        name = f"_c{self._count}"
        self.namespace[name] = value
        return name

    def model(self, model: type[BaseModel], var: str, prefix: str, indent: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            annotation, nullable = _unwrap(info.annotation)
            x = self.var()
            self.lines.append(f"{indent}{x} = {var}.get({name!r}, _MISSING)")
            if _is_model(annotation):
                read = _object_reader(path, nullable, _json_default(info))
                self._read(read, _inline(annotation, info, nullable), x, indent)
                self.lines.append(f"{indent}if {x} is not None:")
                self.model(annotation, x, f"{path}.", indent + "    ")
            elif get_origin(annotation) is dict:  # metadata: str -> scalar or null
                self._read(_object_reader(path, nullable, _json_default(info)), None, x, indent)
                value = self.const(_metadata_value(f"{path}.<key>"))
                self.lines.append(f"{indent}for v in {x}.values():")
                self.lines.append(f"{indent}    if not (v is None or type(v) is str): {value}(v)")
            elif get_origin(annotation) in (tuple, list) and _is_model(get_args(annotation)[0]):
                items = self.const(_object_list_reader(path, _json_default(info)))
                self.lines.append(f"{indent}if type({x}) is not list: {x} = {items}({x})")
                item = self.var()
                bad = self.const(f"{path}: items must be objects")
                self.lines.append(f"{indent}for {item} in {x}:")
                self.lines.append(f"{indent}    if type({item}) is not dict: raise _bad({bad})")
                self.model(get_args(annotation)[0], item, f"{path}[].", indent + "    ")
            else:
                read = _leaf_reader(path, annotation, nullable, _json_default(info), _bounds(info))
                test = _inline(annotation, info, nullable)
                if test is None and get_origin(annotation) in (tuple, list):  # usually empty
                    test = ("type({x}) is list and not {x}", None)
                self._read(read, test, x, indent)

    def var(self) -> str:
        self._count += 1
        return f"o{self._count}"

    def _read(self, read: Reader, test: tuple[str, Any] | None, x: str, indent: str) -> None:
        reader = self.const(read)
        if test is None:
            self.lines.append(f"{indent}{x} = {reader}({x})")
            return
        template, constant = test
        check = template.format(x=x, c=self.const(constant) if constant is not None else "")
        self.lines.append(f"{indent}if not ({check}): {x} = {reader}({x})")


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _object_list_reader(path: str, default: Any) -> Reader:
    def read_list(value: Any) -> Any:
        if type(value) is list:
            return value
        if value is MISSING and default is not MISSING:
            return ()
        raise MalformedRecordError(f"{path}: must be a list of objects")

    return read_list


def _build_checker() -> Callable[[dict[str, Any]], None]:
    source = _CheckerSource()
    source.model(EnrichedMention, "o0", "", "    ")
    text = "\n".join(source.lines) + "\n"
    scope = dict(source.namespace)
    exec(compile(text, "<jsonread check_enriched>", "exec"), scope)  # generated from the schema, no input text
    checker: Callable[[dict[str, Any]], None] = scope["check_enriched"]
    return checker


check_enriched = _build_checker()
"""Check a parsed ``EnrichedMention`` document member by member; raises MalformedRecordError naming the member."""


class EnrichedView(NamedTuple):
    """An enriched record as the route stage reads it; ``doc`` is the parsed JSON for ``RuleSet.decide_json``."""

    doc: dict[str, Any]
    mention_id: str
    channel: str
    brand_account: str
    handle: str
    conversation_id: str | None
    created_at: datetime
    redacted_text: str | None


def read_enriched(value: bytes) -> EnrichedView:
    """Parse and check an ``EnrichedMention`` record's JSON; the members the route stage reads (see the module doc).

    Raises MalformedRecordError (or orjson.JSONDecodeError, also a ValueError) when the record is not usable.
    """
    doc = orjson.loads(value)
    if type(doc) is not dict:
        raise MalformedRecordError("<root>: must be an object")
    check_enriched(doc)  # so what follows reads checked members
    mention = doc["mention"]
    return EnrichedView(
        doc,
        mention["id"],
        mention["channel"],
        mention["brand_account"],
        mention["author"]["handle"],
        mention.get("conversation_id"),
        datetime.fromisoformat(mention["created_at"]),
        doc["enrichment"].get("redacted_text"),
    )
