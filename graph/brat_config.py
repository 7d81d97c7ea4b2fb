"""brat's configuration (annotation.conf, visual.conf, tools.conf), made from the one vocabulary table
(graph/vocabulary.py), so that the annotation tool and the build cannot disagree on a type, a role or a
value. `ckg brat-config` writes the files beside the articles (brat looks for them in the collection's
folder); a test fails when the committed files are not what this module makes.

What brat cannot say, the build still checks: brat's attributes take a fixed set of values, so the
free `Value` of dates and quantities is edited as a line of the .ann; relation and event argument types
are as the vocabulary gives them, but the registry types behind N lines (a Meeting mention must point to
a meeting) are the build's.
"""

from __future__ import annotations

from pathlib import Path

from coalition_kg.namespaces import ENTITY
from .vocabulary import (
    ENTITY_MENTIONS,
    EVENT_ARGUMENT,
    EVENT_TYPES,
    EVENTS,
    MENTION_ATTRIBUTES,
    NORMALIZATION_DB,
    RELATIONS,
    VALUE_MENTIONS,
    WEEKDAYS,
)

FILES = ("annotation.conf", "visual.conf", "tools.conf")
HEADER = "# Made by `ckg brat-config` from graph/vocabulary.py; do not edit by hand.\n"

# Attribute values brat cannot enumerate: edited in the .ann, checked by the build.
FREE_VALUES = ("Value",)

# Background colours of mention types in brat: places green, agents blue, meetings and documents warm,
# values grey, event triggers red; only for reading.
_COLOURS = {
    "Person": "#7fa2ff", "Country": "#8fd18f", "City": "#b6e3a1", "Region": "#d3f0c2",
    "Organization": "#9fc5f8", "Coalition": "#6fa8dc", "Group": "#a4c2f4", "Meeting": "#f9cb9c",
    "Post": "#d5a6bd", "Role": "#ead1dc", "Document": "#ffe599", "Date": "#d9d9d9", "Quantity": "#cccccc",
}
_EVENT_COLOUR = "#ea9999"


def annotation_conf() -> str:
    lines = [HEADER, "[entities]"]
    lines += list(ENTITY_MENTIONS) + list(VALUE_MENTIONS)
    lines += ["", "[relations]",
              "# mentions nest (a Meeting mention holds the City mention of its place): spans may overlap",
              "<OVERLAP>\tArg1:<ANY>, Arg2:<ANY>, <OVL-TYPE>:<ANY>"]
    for name, kind in RELATIONS.items():
        lines.append(f"{name}\tArg1:{'|'.join(kind.arg1)}, Arg2:{'|'.join(kind.arg2)}")
    lines += ["", "[events]"]
    for name in EVENT_TYPES:
        kind = EVENTS[name]
        # required roles once or more (Agent2, Agent3 …), the others any number of times
        roles = [f"{role}{'+' if role in kind.required else '*'}:{'|'.join(_brat_types(types))}"
                 for role, (types, _) in kind.roles.items()]
        lines.append(f"{name}\t{', '.join(roles)}")
    lines += ["", "[attributes]"]
    for name, (types, takes_value) in MENTION_ATTRIBUTES.items():
        if name in FREE_VALUES:
            lines.append(f"# {name} ({', '.join(types)}): a free value, written in the .ann as `An<TAB>{name} Tn VALUE`")
            continue
        values = f", Value:{'|'.join(_enumerated(name))}" if takes_value else ""  # no values: a flag
        lines.append(f"{name}\tArg:{'|'.join(types)}{values}")
    event_attributes: dict[str, tuple[list[str], tuple[str, ...]]] = {}
    for event, kind in EVENTS.items():
        for name, (values, _) in kind.attributes.items():
            events, _ = event_attributes.setdefault(name, ([], values))
            events.append(event)
    for name, (events, values) in event_attributes.items():
        lines.append(f"{name}\tArg:{'|'.join(events)}, Value:{'|'.join(values)}")
    return "\n".join(lines) + "\n"


def _enumerated(name: str) -> tuple[str, ...]:
    if name == "Weekday":
        return WEEKDAYS
    raise ValueError(f"attribute {name} takes a value that brat cannot enumerate; add it to FREE_VALUES")


def visual_conf() -> str:
    lines = [HEADER, "[labels]"]
    for name in list(ENTITY_MENTIONS) + list(VALUE_MENTIONS) + list(EVENT_TYPES):
        lines.append(f"{name} | {name}")
    lines += ["", "[drawing]", "SPAN_DEFAULT\tfgColor:black, bgColor:lightgreen, borderColor:darken",
              "ARC_DEFAULT\tcolor:black, arrowHead:triangle-5"]
    for name in list(ENTITY_MENTIONS) + list(VALUE_MENTIONS):
        lines.append(f"{name}\tbgColor:{_COLOURS[name]}")
    for name in EVENT_TYPES:
        lines.append(f"{name}\tbgColor:{_EVENT_COLOUR}")
    return "\n".join(lines) + "\n"


def tools_conf() -> str:
    return "\n".join([
        HEADER.rstrip("\n"),
        "[options]",
        "Tokens\ttokenizer:whitespace",
        "Sentences\tsplitter:newline",
        "Validation\tvalidate:all",
        "Annotation-log\tlogfile:<NONE>",
        "",
        "[normalization]",
        "# N lines name registry entities as ckg:ID; brat links each to its page. With no DB, ids are typed by hand.",
        f"{NORMALIZATION_DB}\t<URL>:{ENTITY}, <URLBASE>:{ENTITY}%s",
    ]) + "\n"


def generate() -> dict[str, str]:
    return {"annotation.conf": annotation_conf(), "visual.conf": visual_conf(), "tools.conf": tools_conf()}


def write(directory: Path) -> list[Path]:
    written = []
    for name, content in generate().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8", newline="\n")
            written.append(path)
    return written


def stale(directory: Path) -> list[str]:
    """The files in `directory` that are missing or differ from what the vocabulary makes."""
    return [name for name, content in generate().items()
            if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != content]


def _brat_types(types) -> list[str]:
    """An event's argument types as brat writes them: "another event" (EVENT_ARGUMENT, a Claim's
    Content) is brat's reserved <EVENT>."""
    return ["<EVENT>" if t == EVENT_ARGUMENT else t for t in types]
