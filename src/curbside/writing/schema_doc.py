"""``docs/article-schema.md``, generated from the Article model so the page cannot drift from the code.

The page is the article's JSON Schema (``Article.model_json_schema(mode="serialization")``, the shape
``Article.to_json`` writes) rendered as Markdown: one table per object type, with each field's type,
default and description, then the enumerations with their values. What the page says comes from the
models' docstrings and ``Field`` descriptions in :mod:`curbside.writing.article` and from the docstrings of
the enumerations the schema imports, so to change the page, change those and regenerate::

    python -m curbside.writing.schema_doc docs/article-schema.md

``tests/unit/test_schema_doc.py`` fails when the committed page differs from what this module produces.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

from curbside.writing.article import ARTICLE_SCHEMA_VERSION, Article

__all__ = ["article_schema_markdown", "main", "schema_markdown"]

JsonSchema = dict[str, Any]

_INTRO = """\
`curbside ask --format json` and `Curbside.ask()` return an `Article`. Its models in
`src/curbside/writing/article.py` are the single source of truth: `curbside schema` prints their JSON
Schema, and this page is generated from the same schema (`python -m curbside.writing.schema_doc
docs/article-schema.md`; a test fails when the page is stale). To change the page, change the models'
docstrings and `Field` descriptions, then regenerate.

Every field is written on output, defaults included; a field with a default may be left out on input.
Enumerations are written as plain strings. Fields are only added within a major version of
`schema_version`."""

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data):`~?([\w.]+)`")


def _markdown_text(doc: str) -> str:
    """A docstring as Markdown: reST roles and double backticks become code spans; paragraphs and list
    items ("* ...") keep their breaks, the lines wrapped within them are joined."""
    text = _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", inspect.cleandoc(doc))
    text = text.replace("``", "`")
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines: list[str] = []
        for line in block.splitlines():
            stripped = line.strip()
            if not lines or stripped.startswith(("* ", "- ")):
                lines.append(stripped)
            else:
                lines[-1] += " " + stripped
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _cell(text: str) -> str:
    return re.sub(r"\s*\n+\s*", " ", _markdown_text(text)).replace("|", "\\|")


def _anchor(name: str) -> str:
    return name.lower()


def _ref_name(fragment: JsonSchema) -> str | None:
    ref = fragment.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _type(fragment: JsonSchema) -> str:
    """A field's type in words, linking to the sections of nested objects and enumerations."""
    name = _ref_name(fragment)
    if name is not None:
        return f"[{name}](#{_anchor(name)})"
    if "anyOf" in fragment:
        options = fragment["anyOf"]
        named = [_type(o) for o in options if o.get("type") != "null"]
        nullable = len(named) < len(options)
        return " or ".join(named) + (" or null" if nullable else "")
    if "enum" in fragment:
        return " or ".join(f"`{json.dumps(v)}`" for v in fragment["enum"])
    if "const" in fragment:
        return f"`{json.dumps(fragment['const'])}`"
    kind = fragment.get("type", "any")
    if kind == "array":
        return f"array of {_type(fragment.get('items', {}))}"
    if kind == "integer" and "minimum" in fragment:
        return f"integer \u2265 {fragment['minimum']}"
    return str(kind)


def _default(name: str, fragment: JsonSchema, required: set[str]) -> str:
    if "default" in fragment:
        return f"`{json.dumps(fragment['default'])}`"
    return "required" if name in required else "optional"


def _references(fragment: Any) -> list[str]:
    """Names of the definitions a schema fragment refers to, in the order they appear."""
    found: list[str] = []
    if isinstance(fragment, dict):
        name = _ref_name(fragment)
        if name is not None:
            found.append(name)
        for key, value in fragment.items():
            if key != "$defs":
                found.extend(_references(value))
    elif isinstance(fragment, list):
        for item in fragment:
            found.extend(_references(item))
    return found


def _definition_order(schema: JsonSchema, definitions: dict[str, JsonSchema]) -> list[str]:
    """Every definition, depth first from the top-level object in field order (a type before its parts)."""
    order: list[str] = []

    def visit(fragment: JsonSchema) -> None:
        for name in _references(fragment):
            if name not in order and name in definitions:
                order.append(name)
                visit(definitions[name])

    visit(schema)
    return order + sorted(set(definitions) - set(order))


def _object_section(title: str, schema: JsonSchema, level: str) -> list[str]:
    lines = [f"{level} {title}", ""]
    if schema.get("description"):
        lines += [_markdown_text(schema["description"]), ""]
    required = set(schema.get("required", ()))
    lines += ["| field | type | default | description |", "|---|---|---|---|"]
    for name, fragment in schema.get("properties", {}).items():
        default = _default(name, fragment, required)
        cells = (f"`{name}`", _type(fragment), default, _cell(fragment.get("description", "")))
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def _enumeration_section(title: str, schema: JsonSchema) -> list[str]:
    lines = [f"### {title}", ""]
    if schema.get("description"):
        lines += [_markdown_text(schema["description"]), ""]
    values = ", ".join(f"`{v}`" for v in schema["enum"])
    return lines + [f"Values: {values}.", ""]


def schema_markdown(schema: JsonSchema, *, title: str, intro: str = "") -> str:
    """A JSON Schema (as pydantic writes it) as Markdown: the top-level object, the nested objects it
    uses, then its enumerations, each with a heading that type links point to."""
    definitions: dict[str, JsonSchema] = schema.get("$defs", {})
    order = _definition_order(schema, definitions)
    objects = [name for name in order if "enum" not in definitions[name]]
    enumerations = [name for name in order if "enum" in definitions[name]]
    lines = [f"# {title}", ""]
    if intro:
        lines += [intro, ""]
    lines += _object_section(schema.get("title", "Object"), schema, "##")
    if objects:
        lines += ["## Nested objects", ""]
        for name in objects:
            lines += _object_section(name, definitions[name], "###")
    if enumerations:
        lines += ["## Enumerations", ""]
        for name in enumerations:
            lines += _enumeration_section(name, definitions[name])
    return "\n".join(lines).rstrip("\n") + "\n"


def article_schema_markdown() -> str:
    """The text of ``docs/article-schema.md``: the Article's JSON Schema as Markdown."""
    schema = Article.model_json_schema(mode="serialization")
    return schema_markdown(schema, title=f"The article JSON (schema {ARTICLE_SCHEMA_VERSION})", intro=_INTRO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m curbside.writing.schema_doc", description="Write docs/article-schema.md from the Article model."
    )
    parser.add_argument("path", nargs="?", type=Path, help="where to write the page (default: print it)")
    parser.add_argument("--check", action="store_true", help="only say whether PATH is up to date (exit 1 if not)")
    args = parser.parse_args(argv)
    text = article_schema_markdown()
    if args.path is None:
        sys.stdout.write(text)
        return 0
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != text:
            print(f"{args.path} is stale: run python -m curbside.writing.schema_doc {args.path}", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
