"""Precision and recall of the drafting linker against the hand annotations, leaving one article out.

For each seed article, the registry's forms are learnt from the other four only: an entity's forms are
the names its mentions have in those articles (the alif that ل hides restored), and an entity that they
never name is unknown. The linker then drafts the left-out article, and its sure links (linked, or a
new spelling of a known form) are compared with the hand mentions of that article: a link is right
when a hand mention has the same span and the same entity. Generic phrases the linker marks ambiguous
count as not linked (it never links them silently); they are reported beside, with how often the
right entity was among their candidates. Anaphora are left out of the gold: the guide annotates them
only where a relation needs them, and they are not names.

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

from coalition_kg.graph import annotations, linker, registry  # noqa: E402
from coalition_kg.graph.annotations import restored_form  # noqa: E402

SEEDS = REPO / "seeds"
RESULTS = HERE / "results"


def _gold(ann: annotations.Annotations, entities: registry.Registry):
    for mention in ann.mentions.values():
        if mention.entity and not mention.is_anaphor:
            yield mention


def learnt_registry(full: registry.Registry, others: list[annotations.Annotations]) -> registry.Registry:
    forms: dict[str, list[str]] = defaultdict(list)
    for ann in others:
        for mention in _gold(ann, full):
            form = restored_form(mention.text, full.entities[mention.entity].surface_forms)
            if form not in forms[mention.entity]:
                forms[mention.entity].append(form)
    learnt = registry.Registry(full.path)
    for entity_id, names in forms.items():
        learnt.entities[entity_id] = replace(full.entities[entity_id], ar=names[0], variants=tuple(names[1:]))
    return learnt


def run() -> dict:
    full = registry.load_registry(SEEDS / "entities.toml")
    stems = sorted(path.stem for path in SEEDS.glob("*.txt"))
    articles = {stem: annotations.read(SEEDS / f"{stem}.ann", SEEDS / f"{stem}.txt", full) for stem in stems}
    counts: dict[str, Counter] = defaultdict(Counter)  # mention type -> tp, predicted, gold, gold_known, ...
    misses, wrong = [], []
    for stem in stems:
        learnt = learnt_registry(full, [a for s, a in articles.items() if s != stem])
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
            if span in ambiguous:
                row["ambiguous"] += 1
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
    return {"leave_one_out": True, "articles": stems, "all": _scores(total), "by_type": by_type,
            "misses_of_known_entities": misses, "wrong_links": wrong}


def _scores(row: Counter) -> dict:
    def ratio(a: int, b: int):
        return round(a / b, 3) if b else None

    return {**dict(row), "precision": ratio(row["tp"], row["predicted"]), "recall": ratio(row["tp"], row["gold"]),
            "recall_known": ratio(row["tp_known"], row["gold_known"])}


def markdown(results: dict) -> str:
    lines = ["# The drafting linker, leave one article out", "",
             "Forms learnt from the other four articles; a link is right when a hand mention has its span and entity.", "",
             "| mention type | hand mentions | of known entities | linked | right | precision | recall | recall (known) | ambiguous (right candidate) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, row in list(results["by_type"].items()) + [("**all**", results["all"])]:
        lines.append(f"| {kind} | {row.get('gold', 0)} | {row.get('gold_known', 0)} | {row.get('predicted', 0)} | "
                     f"{row.get('tp', 0)} | {row['precision']} | {row['recall']} | {row['recall_known']} | "
                     f"{row.get('ambiguous', 0)} ({row.get('ambiguous_right_candidate', 0)}) |")
    lines += ["", f"Misses of known entities: {len(results['misses_of_known_entities'])}; "
              f"wrong links: {len(results['wrong_links'])} (listed in linker.json).", ""]
    for miss in results["misses_of_known_entities"]:
        lines.append(f"- miss {miss['article']} {miss['start']}-{miss['end']} {miss['text']} ({miss['entity']})")
    for item in results["wrong_links"]:
        lines.append(f"- wrong {item['article']} {item['start']}-{item['end']} {item['text']} -> {item['linked_to']} (hand: {item['hand']})")
    return "\n".join(lines) + "\n"


def main() -> int:
    results = run()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "linker.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "linker.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
