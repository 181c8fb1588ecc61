"""Breaking changes between two versions of a record type's JSON Schema (the contract with downstream apps).

Records flow both ways: downstream apps read what the router writes, connectors write what it reads. A
change is compatible when a reader of either version can go on:

- a new **optional** member is fine (readers ignore members they do not know);
- a member **removed**, a member that becomes **required**, or a member **retyped** (its JSON type, format or
  shape: object members, array items, ``anyOf`` branches) breaks;
- an enum may gain values (readers must tolerate values they do not know) but not lose any;
- length and range bounds, titles, descriptions and defaults are not part of the comparison.

Pure functions on JSON Schema dicts as ``schemas.export`` renders them (``$ref`` into ``$defs``).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """What a reader of ``old`` or of ``new`` would trip over, one line per problem; empty when compatible."""
    return _compare(old, new, old, new, "$")


def _resolve(node: Schema, root: Schema) -> Schema:
    seen = 0
    while "$ref" in node and seen < 64:  # a self-referencing model stops here rather than looping
        name = node["$ref"].rsplit("/", 1)[-1]
        node = {**root.get("$defs", {}).get(name, {}), **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def _compare(old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str) -> list[str]:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    if "anyOf" in old or "anyOf" in new:
        return _compare_branches(old, new, old_root, new_root, path)
    problems: list[str] = []
    old_type, new_type = old.get("type"), new.get("type")
    if old_type != new_type:
        return [f"{path}: type {old_type!r} became {new_type!r}"]
    if old.get("format") != new.get("format"):
        problems.append(f"{path}: format {old.get('format')!r} became {new.get('format')!r}")
    if "enum" in old or "enum" in new:
        lost = [v for v in old.get("enum", ()) if v not in new.get("enum", ())]
        if "enum" not in old:
            problems.append(f"{path}: now limited to {new['enum']}")
        elif lost:
            problems.append(f"{path}: enum values removed: {lost}")
    if old_type == "object" or "properties" in old or "properties" in new:
        problems += _compare_objects(old, new, old_root, new_root, path)
    if old_type == "array":
        problems += _compare(old.get("items", {}), new.get("items", {}), old_root, new_root, f"{path}[]")
    return problems


def _compare_objects(old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str) -> list[str]:
    problems: list[str] = []
    old_members, new_members = old.get("properties", {}), new.get("properties", {})
    for name, member in old_members.items():
        if name not in new_members:
            problems.append(f"{path}.{name}: removed")
        else:
            problems += _compare(member, new_members[name], old_root, new_root, f"{path}.{name}")
    for name in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
        problems.append(f"{path}.{name}: {'now required' if name in old_members else 'added as required'}")
    old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if old_extra is not False and new_extra is False:
        problems.append(f"{path}: no longer accepts members it does not list")
    elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
        problems += _compare(old_extra, new_extra, old_root, new_root, f"{path}.*")
    return problems


def _compare_branches(old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str) -> list[str]:
    """``anyOf`` (e.g. an optional value: ``[X, null]``): each branch must have its match on the other side."""
    old_branches, new_branches = old.get("anyOf", [old]), new.get("anyOf", [new])

    def matched(branch: Schema, candidates: list[Schema], forward: bool) -> bool:
        for other in candidates:
            pair = (branch, other) if forward else (other, branch)
            if not _compare(pair[0], pair[1], old_root, new_root, path):
                return True
        return False

    problems = [f"{path}: no longer accepts {_describe(b, old_root)}" for b in old_branches
                if not matched(b, new_branches, forward=True)]  # fmt: skip
    problems += [f"{path}: may now be {_describe(b, new_root)}" for b in new_branches
                 if not matched(b, old_branches, forward=False)]  # fmt: skip
    return problems


def _describe(branch: Schema, root: Schema) -> str:
    resolved = _resolve(branch, root)
    return str(resolved.get("type") or resolved.get("title") or "a value of another shape")
