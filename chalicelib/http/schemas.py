"""Named JSON schemas shared by every route family.

A schema is declared once, as a plain dict the request validator reads. Its ``title`` (set by
``named``, or written in the dict literal) is the name under which the OpenAPI document
publishes it once in ``components/schemas`` and refers to it everywhere else
(``chalicelib.http.openapi``); two different schemas with one name fail the build. Generated
clients then get one class per name instead of one per path.
"""

from __future__ import annotations

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}


def named(name: str, schema: dict) -> dict:
    """``schema`` published as ``#/components/schemas/<name>`` (the title wins over a spread one)."""
    return {**schema, "title": name}


def string_enum(name: str, values, description: str | None = None) -> dict:
    """A named enumeration of strings: generated clients turn it into one enum class."""
    schema = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return named(name, schema)


ERROR = named(
    "Error",
    {
        "type": "object",
        "required": ["error", "code", "details"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, for people"},
            "code": {"type": "string", "description": "What went wrong, for programs"},
            "details": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Per field (or header) messages",
            },
        },
    },
)

PAGE = named(
    "Page",
    {
        "type": "object",
        "required": ["limit", "returned", "next_cursor"],
        "properties": {
            "limit": {"type": "integer"},
            "returned": {"type": "integer"},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as `cursor` for the next page; null on the last page",
            },
        },
    },
)

SORT_ORDER = string_enum("SortOrder", ["asc", "desc"])
SORT = named(
    "Sort",
    {
        "type": "object",
        "required": ["by", "order"],
        "properties": {"by": {"type": "string"}, "order": SORT_ORDER},
    },
)

FILTERS = named(
    "Filters",
    {"type": "object", "additionalProperties": True, "description": "The filters this page was listed with"},
)


def list_of(name: str, item_schema: dict) -> dict:
    """The list envelope ``{data, page, sort, filters}`` around ``item_schema``, named ``name``."""
    return named(
        name,
        {
            "type": "object",
            "required": ["data", "page", "sort", "filters"],
            "properties": {
                "data": {"type": "array", "items": item_schema},
                "page": PAGE,
                "sort": SORT,
                "filters": FILTERS,
            },
        },
    )
