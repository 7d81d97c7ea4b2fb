"""Precision and recall of the drafting linker against the hand annotations, leaving one article out.

For each seed article, the registry's variants are learnt from the other four only: an entity's variants
are the names its mentions have in those articles (the alif that ل hides restored). Two conditions:
- "registry labels" (the headline): every entity keeps its curated Arabic label (`ar` in
  entities.toml), as a registry does whatever articles are annotated; only the variants come from the
  other four. Caveat: outside meetings, the curators took a label from the seeds' own words, so a
  label may be a form only the left-out article uses (a person's name, which a registry knows anyway;
  also a few labels of documents and roles, which it might not).
- "strict": no labels; an entity the other four never name is unknown.
The linker then drafts the left-out article, and its sure links (linked, or a
new spelling of a known form) are compared with the hand mentions of that article: a link is right
when a hand mention has the same span and the same entity. Generic phrases the linker marks ambiguous
count as not linked (it never links them silently); they are reported beside, with how often the
right entity was among their candidates. Anaphora and metonyms are left out of the gold (the mentions
that are not names of their entity, Mention.names_entity): the guide annotates anaphora only where a
relation needs them, and a metonym's meaning (واشنطن for the United States) is the annotator's reading
of the sentence; the City mention on the same span is in the gold.

Recall is given over all hand mentions and over those of entities the other four articles name (a
linker cannot know a name it has never seen). Results: results/linker.json and results/linker.md.

    .venv/bin/python benchmarks/linker_bench.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from coalition_kg.graph import annotations, arabic, linker, registry  # noqa: E402
from coalition_kg.graph.annotations import restored_form  # noqa: E402

SEEDS = REPO / "seeds"
RESULTS = HERE / "results"


def _gold(ann: annotations.Annotations, entities: registry.Registry):
    for mention in ann.mentions.values():
        if mention.entity and mention.names_entity:
            yield mention


def learnt_registry(full: registry.Registry, others: list[annotations.Annotations], *, labels: bool) -> registry.Registry:
    forms: dict[str, list[str]] = defaultdict(list)
    for ann in others:
        for mention in _gold(ann, full):
            form = restored_form(mention.text, full.entities[mention.entity].surface_forms)
            if form not in forms[mention.entity]:
                forms[mention.entity].append(form)
    learnt = registry.Registry(full.path)
    for entity_id, entity in full.entities.items():
        names = forms.get(entity_id, [])
        if labels:
            learnt.entities[entity_id] = replace(entity, variants=tuple(n for n in names if n != entity.ar))
        elif names:
            learnt.entities[entity_id] = replace(entity, ar=names[0], variants=tuple(names[1:]))
    return learnt


def run() -> dict:
    return {"leave_one_out": True, "registry_labels": evaluate(labels=True), "strict": evaluate(labels=False)}


def evaluate(*, labels: bool) -> dict:
    full = registry.load_registry(SEEDS / "entities.toml")
    stems = sorted(path.stem for path in SEEDS.glob("*.txt"))
    articles = {stem: annotations.read(SEEDS / f"{stem}.ann", SEEDS / f"{stem}.txt", full) for stem in stems}
    counts: dict[str, Counter] = defaultdict(Counter)  # mention type -> tp, predicted, gold, gold_known, ...
    misses, wrong = [], []
    for stem in stems:
        others = [a for s, a in articles.items() if s != stem]
        learnt = learnt_registry(full, others, labels=labels)
        written = learnt_registry(full, others, labels=False)  # only what the other four write
        ann = articles[stem]
        gold = {(m.start, m.end): m for m in _gold(ann, full)}
        found = linker.find(ann.text, linker.Index(learnt))
        linked = {(f.start, f.end): f for f in found if f.status in (linker.LINKED, linker.NEW_SPELLING)}
        ambiguous = {(f.start, f.end): f for f in found if f.status == linker.AMBIGUOUS}
        for span, mention in gold.items():
            row = counts[mention.type]
            row["gold"] += 1
            known = mention.entity in learnt.entities
            row["gold_known"] += known
            hit = span in linked and linked[span].candidates[0] == mention.entity
            row["tp"] += hit
            row["tp_known"] += hit and known
            if hit and labels and _by_label_only(linked[span], full.entities[mention.entity], written):
                row["tp_by_label_only"] += 1
            if span in ambiguous:
                row["ambiguous"] += 1
                row["ambiguous_known"] += known
                row["ambiguous_right_candidate"] += mention.entity in ambiguous[span].candidates
            elif not hit and known:
                misses.append({"article": stem, "start": mention.start, "end": mention.end, "text": mention.text,
                               "entity": mention.entity, "type": mention.type})
        for span, item in linked.items():
            counts[item.type]["predicted"] += 1
            if not (span in gold and gold[span].entity == item.candidates[0]):
                wrong.append({"article": stem, "start": item.start, "end": item.end, "text": item.text,
                              "linked_to": item.candidates[0],
                              "hand": gold[span].entity if span in gold else None})
    total = Counter()
    for row in counts.values():
        total.update(row)
    by_type = {kind: _scores(row) for kind, row in sorted(counts.items())}
    return {"articles": stems, "all": _scores(total), "by_type": by_type,
            "misses_of_known_entities": misses, "wrong_links": wrong}


def _by_label_only(item, entity, written: registry.Registry) -> bool:
    """The link was made with the entity's curated label, which the other four articles never write
    (the label, outside meetings, is itself words of a seed: of the left-out one, then)."""
    label = arabic.normalise(entity.ar)
    forms = written.entities[entity.id].surface_forms if entity.id in written.entities else ()
    return item.form == label and label not in {arabic.normalise(form) for form in forms}


def _scores(row: Counter) -> dict:
    def ratio(a: int, b: int):
        return round(a / b, 3) if b else None

    return {**dict(row), "precision": ratio(row["tp"], row["predicted"]), "recall": ratio(row["tp"], row["gold"]),
            "recall_known": ratio(row["tp_known"], row["gold_known"]),
            "recall_known_unambiguous": ratio(row["tp_known"], row["gold_known"] - row["ambiguous_known"])}


def markdown(results: dict) -> str:
    lines = ["# The drafting linker, leave one article out", "",
             "Made by benchmarks/linker_bench.py (its docstring says how). A link is right when a hand mention has its",
             "span and its entity; a mention the linker marks ambiguous (a generic phrase such as bare التحالف, which the",
             "issue forbids linking silently) counts as not linked; the last recall leaves those out.", ""]
    for name, title in (("registry_labels", "Registry labels + variants learnt from the other four (headline)"),
                        ("strict", "Strict: variants learnt from the other four, no labels")):
        result = results[name]
        lines += [f"## {title}", "",
                  "| mention type | hand mentions | of known entities | linked | right | precision | recall | recall (known) "
                  "| ambiguous (right candidate) | recall (known, not ambiguous) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for kind, row in list(result["by_type"].items()) + [("**all**", result["all"])]:
            lines.append(f"| {kind} | {row.get('gold', 0)} | {row.get('gold_known', 0)} | {row.get('predicted', 0)} | "
                         f"{row.get('tp', 0)} | {row['precision']} | {row['recall']} | {row['recall_known']} | "
                         f"{row.get('ambiguous', 0)} ({row.get('ambiguous_right_candidate', 0)}) | {row['recall_known_unambiguous']} |")
        if name == "registry_labels":
            by_type = ", ".join(f"{kind} {row['tp_by_label_only']}" for kind, row in result["by_type"].items()
                                if row.get("tp_by_label_only"))
            lines += ["", f"Right links made with a curated label that the other four articles never write: "
                      f"{result['all'].get('tp_by_label_only', 0)} ({by_type}). A registry knows a person's or a "
                      "country's name whatever is annotated; a document's label taken from the left-out article's "
                      "own words is a leak the strict condition below does not have."]
        lines += ["", f"Misses of known entities (ambiguous ones aside): {len(result['misses_of_known_entities'])}; "
                  f"wrong links: {len(result['wrong_links'])}.", ""]
        for miss in result["misses_of_known_entities"]:
            lines.append(f"- miss {miss['article']} {miss['start']}-{miss['end']} {miss['text']} ({miss['entity']})")
        for item in result["wrong_links"]:
            lines.append(f"- wrong {item['article']} {item['start']}-{item['end']} {item['text']} -> {item['linked_to']} (hand: {item['hand']})")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    results = run()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "linker.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "linker.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
