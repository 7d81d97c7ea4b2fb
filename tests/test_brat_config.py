"""brat's configuration beside the articles is the one the vocabulary makes, and reads as brat's
documented configuration format (https://brat.nlplab.org/configuration.html) says it must."""

from __future__ import annotations

import re

import pytest

from coalition_kg import cli
from coalition_kg.graph import brat_config, vocabulary
from conftest import REPO

SEEDS = REPO / "seeds"
STORAGE_FORM = re.compile(r"^[a-zA-Z0-9_-]+$")  # brat's rule for a type's first (storage) term
RESERVED = {"<ANY>", "<ENTITY>", "<EVENT>", "<RELATION>", "<NONE>"}


def _sections(text: str, expected: set[str]) -> dict[str, list[str]]:
    """Lines per [section], comments and blank lines left out, as brat splits a configuration file."""
    sections: dict[str, list[str]] = {"general": []}
    current = "general"
    for line in text.split("\n"):
        if m := re.fullmatch(r"\s*\[(.*)\]\s*", line):
            current = m.group(1)
            assert current in expected, f"brat does not know section [{current}]"
            sections[current] = []
        elif line.strip() and not line.lstrip().startswith("#"):
            sections[current].append(line)
    assert sections.pop("general") == []
    return sections


def _definition(line: str) -> tuple[str, dict[str, list[str]]]:
    """`TYPE<whitespace>KEY:T1|T2, KEY2?:T3` -> (TYPE, {KEY: [T1, T2], KEY2?: [T3]})."""
    m = re.fullmatch(r"(\S+)(?:\s+(.*))?", line)
    assert m, line
    arguments = {}
    for argument in (m.group(2) or "").split(","):
        if not argument.strip():
            continue
        am = re.fullmatch(r"\s*(\S*?):(\S+)\s*", argument)
        assert am, f"not KEY:TYPE in {line!r}"
        types = am.group(2).split("|")
        assert all(types), line
        arguments[am.group(1)] = types
    return m.group(1), arguments


@pytest.fixture(scope="module")
def annotation():
    return _sections((SEEDS / "annotation.conf").read_text(encoding="utf-8"), {"entities", "relations", "events", "attributes"})


def test_the_committed_files_are_what_the_vocabulary_makes():
    assert brat_config.stale(SEEDS) == []
    assert cli.main(["brat-config", "--check"]) == 0


def test_a_stale_file_is_found(tmp_path, capsys):
    brat_config.write(tmp_path)
    (tmp_path / "visual.conf").write_text("[labels]\n", encoding="utf-8")
    assert brat_config.stale(tmp_path) == ["visual.conf"]


def test_annotation_conf_declares_every_type_of_the_vocabulary(annotation):
    entities = annotation["entities"]
    assert all(STORAGE_FORM.match(e) for e in entities)
    assert entities == list(vocabulary.ENTITY_MENTIONS) + list(vocabulary.VALUE_MENTIONS)
    events = dict(_definition(line) for line in annotation["events"])
    assert list(events) == list(vocabulary.EVENT_TYPES)
    assert events["Repatriation"] == {"Agent+": ["Country"], "Count*": ["Quantity"], "Origin*": ["City", "Country", "Region"]}
    relations = dict(_definition(line) for line in annotation["relations"])
    assert relations["heldIn"] == {"Arg1": ["Meeting"], "Arg2": ["City", "Country"]}
    assert set(relations) == set(vocabulary.RELATIONS) | {"<OVERLAP>"}
    attributes = dict(_definition(line) for line in annotation["attributes"])
    assert attributes["Weekday"] == {"Arg": ["Date"], "Value": list(vocabulary.WEEKDAYS)}
    assert attributes["Anaphor"] == {"Arg": list(vocabulary.ENTITY_MENTIONS)}
    assert attributes["Measure"]["Arg"] == ["Count"]
    assert "Value" not in attributes  # free values cannot be declared in brat


def test_every_argument_type_is_declared(annotation):
    declared = set(annotation["entities"]) | {_definition(line)[0] for line in annotation["events"]} | RESERVED
    for section in ("relations", "events", "attributes"):
        for line in annotation[section]:
            name, arguments = _definition(line)
            assert STORAGE_FORM.match(name) or name == "<OVERLAP>", name
            for key, types in arguments.items():
                assert re.fullmatch(r"[A-Za-z0-9_-]+[?*+]?|<OVL-TYPE>", key), key
                if key in ("Value", "<OVL-TYPE>"):
                    continue
                assert set(types) <= declared, (line, set(types) - declared)


def test_what_the_seeds_write_is_declared(annotation):
    entities = set(annotation["entities"])
    events = {name: args for name, args in map(_definition, annotation["events"])}
    relations = {_definition(line)[0] for line in annotation["relations"]}
    attributes = {_definition(line)[0] for line in annotation["attributes"]} | set(brat_config.FREE_VALUES)
    for ann in SEEDS.glob("*.ann"):
        for line in ann.read_text(encoding="utf-8").splitlines():
            kind = line.split("\t")[1].split()[0] if "\t" in line else ""
            if line.startswith("T"):
                assert kind in entities or kind in events, line
            elif line.startswith("R"):
                assert kind in relations, line
            elif line.startswith("E"):
                name = kind.split(":")[0]
                roles = {re.sub(r"\d+$", "", part.split(":")[0]) for part in line.split("\t")[1].split()[1:]}
                assert roles <= {key.rstrip("?*+") for key in events[name]}, line
            elif line.startswith("A"):
                assert kind in attributes, line


def test_visual_and_tools_conf_follow_the_format():
    visual = _sections((SEEDS / "visual.conf").read_text(encoding="utf-8"), {"labels", "drawing"})
    for line in visual["labels"]:
        assert "\t" not in line and [t.strip() for t in line.split("|")][0] in vocabulary.MENTION_TYPES
    assert len(visual["labels"]) == len(vocabulary.MENTION_TYPES)
    for line in visual["drawing"]:
        name, arguments = _definition(line)
        allowed = {"color", "dashArray", "arrowHead", "arrowTail"} if name == "ARC_DEFAULT" else {"fgColor", "bgColor", "borderColor"}
        assert set(arguments) <= allowed and all(len(v) == 1 for v in arguments.values()), line
    tools = _sections((SEEDS / "tools.conf").read_text(encoding="utf-8"), {"options", "search", "annotators", "disambiguators", "normalization"})
    ((name, arguments),) = [_definition(line) for line in tools["normalization"]]
    assert name == "ckg" and arguments["<URLBASE>"] == ["https://w3id.org/coalition-kg/id/%s"]
