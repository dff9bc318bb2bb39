"""docs/article-schema.md is generated from the Article model (curbside.writing.schema_doc)."""

from __future__ import annotations

from pathlib import Path

from curbside.writing.article import Article
from curbside.writing.schema_doc import article_schema_markdown, main, schema_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "article-schema.md"


def test_the_committed_page_is_what_the_model_generates() -> None:
    assert DOC.read_text(encoding="utf-8") == article_schema_markdown(), (
        "docs/article-schema.md is stale: run python -m curbside.writing.schema_doc docs/article-schema.md"
    )


def test_the_page_names_every_field_and_every_enumeration_value() -> None:
    page = article_schema_markdown()
    schema = Article.model_json_schema(mode="serialization")
    for name in schema["properties"]:
        assert f"| `{name}` |" in page
    for name, definition in schema["$defs"].items():
        assert f"### {name}\n" in page
        for field in definition.get("properties", {}):
            assert f"| `{field}` |" in page
        for value in definition.get("enum", ()):
            assert f"`{value}`" in page


def test_descriptions_and_docstrings_are_the_documentation() -> None:
    page = article_schema_markdown()
    assert "the only field that differs between identical runs" in page  # a Field description
    assert "References whose `doc_id` starts with `curated:`" in page  # a model docstring, reST made Markdown
    assert "USPSTF A is high" in page  # an enumeration's docstring, from the evidence layer


def test_schema_markdown_renders_types_defaults_and_links() -> None:
    schema = {
        "title": "Thing",
        "description": "A thing with ``code``\nwrapped over lines.",
        "properties": {
            "name": {"type": "string", "description": "what | it is"},
            "size": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}], "default": None},
            "parts": {"type": "array", "items": {"$ref": "#/$defs/Part"}, "default": []},
            "kind": {"$ref": "#/$defs/Kind"},
        },
        "required": ["name", "kind"],
        "$defs": {
            "Part": {"title": "Part", "properties": {"side": {"enum": ["left", "right"], "type": "string"}}},
            "Kind": {"title": "Kind", "description": "The kind.", "enum": ["a", "b"], "type": "string"},
        },
    }
    page = schema_markdown(schema, title="Things")
    assert page.startswith("# Things\n\n## Thing\n\nA thing with `code` wrapped over lines.\n")
    assert "| `name` | string | required | what \\| it is |" in page
    assert "| `size` | integer \u2265 0 or null | `null` |  |" in page
    assert "| `parts` | array of [Part](#part) | `[]` |  |" in page
    assert '| `side` | `"left"` or `"right"` | optional |  |' in page
    assert "## Enumerations\n\n### Kind\n\nThe kind.\n\nValues: `a`, `b`.\n" in page


def test_the_command_writes_and_checks_the_page(tmp_path: Path) -> None:
    page = tmp_path / "article-schema.md"
    assert main([str(page), "--check"]) == 1
    assert main([str(page)]) == 0
    assert page.read_text(encoding="utf-8") == article_schema_markdown()
    assert main([str(page), "--check"]) == 0
