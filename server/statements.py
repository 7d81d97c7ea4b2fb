"""Statement pages: an entity's facts as a reader wants them, in the manner of Wikidata's entity pages.

From the rows of the resource-*.rq queries (server/sparql/) to a page of:
- statements: the stated facts of the resource, grouped by property (named in words, from the ontology's
  labels), each value with its qualifiers and its references (the sentence that states it, with the
  words marked; the curators' reason; a worked-out day marked as such);
- facts that point here: the stated facts of other entities whose value is this one;
- reports: the n-ary facts (counts, repatriations, detentions, commitments, proposals, claims, taking part
  in a capacity) that involve it, each read as a sentence with its reference;
- restatements: what only the closure adds (and the standard-vocabulary records it copies the stated
  facts into), folded away, never beside the stated fact it restates.
Labels, hidden keys and the statement records themselves are the RDF twin's, not the page's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..graph.vocabulary import EVENTS
from coalition_kg.namespaces import ARTICLE, ENTITY, GRAPH, ONTOLOGY, RDF, RDFS, SCHEMA, SKOS

from .linked_data import (SHARED_GRAPHS, Term, article_term, binding_int, binding_value, compact, highlight,
                          local_href)

RDF_TYPE = RDF + "type"
# What a page shows in its head, or not at all (the hidden matching key is for search, the twin keeps it).
LABELLING = {RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", SKOS + "hiddenLabel"}
SCHEMA_TEXT = SCHEMA + "text"
SCHEMA_HEADLINE = SCHEMA + "headline"
SCHEMA_ATTENDEE = SCHEMA + "attendee"
MEMBERSHIPS = ENTITY + "membership/"
INFERRED = GRAPH + "inferred"


def words_of(iri: str) -> str:
    """A property's words when the ontology gives none: its local name, camelCase undone."""
    local = re.split(r"[#/]", iri)[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower() or compact(iri)


@dataclass
class Reference:
    """Where a fact comes from: an article's sentence (its words marked), the curators, the closure."""

    kind: str  # "article", "curated", "inferred", "ontology"
    article: Term | None = None
    sentence_index: int | None = None
    sentence_href: str | None = None
    pieces: list[tuple[str, bool]] = field(default_factory=list)
    reason: str | None = None
    worked_out: bool = False
    source: str | None = None  # a curated fact's source, as the curators wrote it
    derived_from: list[Term] = field(default_factory=list)
    record: Term | None = None  # the statement record or event itself, for those who want the RDF


@dataclass
class Qualifier:
    """What refines a value (the capacity someone took part in), with the sentence that says so."""

    phrase: list  # text and Terms
    references: list[Reference] = field(default_factory=list)


@dataclass
class Value:
    term: Term
    references: list[Reference] = field(default_factory=list)
    qualifiers: list["Qualifier"] = field(default_factory=list)

    @property
    def worked_out(self) -> bool:
        return any(r.worked_out for r in self.references)

    @property
    def curated_only(self) -> bool:
        return bool(self.references) and all(r.kind == "curated" for r in self.references)


@dataclass
class Property:
    iri: str
    label_en: str
    label_ar: str | None
    href: str | None
    values: list[Value] = field(default_factory=list)

    @property
    def curie(self) -> str:
        return compact(self.iri)


@dataclass
class Report:
    """An n-ary fact read as a sentence: phrases (text and Terms) and the references it rests on."""

    kind: str  # count, repatriation, detention, commitment, proposal, claim, participation
    phrase: list
    figure: list = field(default_factory=list)  # a count's number and what it counts, whoever's account
    references: list[Reference] = field(default_factory=list)
    words_ar: str | None = None  # a claim's own words
    attribution: str | None = None  # a claim: "words" or "context"
    states: list["Report"] = field(default_factory=list)  # a claim's stated events
    items: list["Report"] = field(default_factory=list)  # counts of one thing at one meeting


@dataclass
class StatementPage:
    iri: str
    label_en: str | None = None
    label_ar: str | None = None
    alt_labels: list[str] = field(default_factory=list)
    kinds: list[Term] = field(default_factory=list)
    statements: list[Property] = field(default_factory=list)
    pointing: list[Property] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    restated: list[Property] = field(default_factory=list)
    restated_pointing: list[Property] = field(default_factory=list)  # what the closure adds that points here
    restated_kinds: list[Term] = field(default_factory=list)
    sentences: list = field(default_factory=list)  # linked_data.Sentence: every mention of it
    text: str | None = None  # an article's own text
    article_text: list | None = None  # linked_data.TextPart: the text, sentence by sentence, mentions linked
    headline: str | None = None

    @property
    def title(self) -> str:
        """The English label; a record without one is named by its kind and its short IRI."""
        if self.label_en:
            return self.label_en
        return f"{self.kinds[0].text}: {compact(self.iri)}" if self.kinds else compact(self.iri)

    @property
    def title_is_curated(self) -> bool:
        return self.article_text is not None and bool(self.label_ar) and self.label_ar != self.headline

    @property
    def report_groups(self) -> list[tuple[str, str, list[Report]]]:
        """The reports under a heading per kind (English, Arabic), in the order they come."""
        groups: list[tuple[str, str, list[Report]]] = []
        for report in self.reports:
            en, ar = HEADINGS.get(report.kind, ("Other reports", "أخرى"))
            if not groups or groups[-1][0] != en:
                groups.append((en, ar, []))
            groups[-1][2].append(report)
        return groups

    @property
    def found(self) -> bool:
        return bool(self.statements or self.pointing or self.reports or self.restated or self.sentences
                    or self.kinds or self.label_en)


# --------------------------------------------------------------------------- references

def _sentence_reference(row: dict, kind: str = "article") -> Reference:
    article = row["article"]["value"]
    start = binding_int(row.get("sentence_start")) or 0
    spans = []
    for span in (binding_value(row.get("spans")) or "").split():
        first, _, last = span.partition(":")
        if first.isdigit() and last.isdigit():
            spans.append((int(first) - start, int(last) - start))
    index = binding_int(row.get("index"))
    href = local_href(article)
    return Reference(kind, article_term(article), index, f"{href}#s{index}" if href and index else href,
                     highlight(row["text"]["value"], spans))


def _statement_references(rows: list[dict]) -> dict[tuple[str, str, str, str], list[Reference]]:
    """References by (graph, subject, predicate, object) from resource-statements.rq rows."""
    found: dict[tuple[str, str, str, str], list[Reference]] = {}
    for row in rows:
        graph = row["g"]["value"]
        key = (graph, row["s"]["value"], row["p"]["value"], row["o"]["value"])
        record = row["record"]["value"]
        if row.get("text") and row.get("article"):
            reference = _sentence_reference(row)
        else:
            reference = _plain_reference(graph)
        reference.record = Term(compact(record), local_href(record), title=record)
        reference.reason = binding_value(row.get("reason")) or None
        reference.worked_out = binding_value(row.get("worked_out")) == "true"
        reference.source = binding_value(row.get("source"))
        reference.derived_from = [_derived(line) for line in sorted((binding_value(row.get("derived_from")) or "").splitlines()) if line.strip()]
        found.setdefault(key, []).append(reference)
    return found


def _derived(line: str) -> Term:
    """What a curated fact was worked out from: a mention, shown by its words, or an article."""
    iri, _, words = line.partition(" ")
    if words:
        return Term(f"«{words}»", local_href(iri), "ar", title=iri)
    return article_term(iri) if page_is_article(iri) else Term(compact(iri), local_href(iri), title=iri)


def _plain_reference(graph: str) -> Reference:
    """A fact with no statement record: the graph is all that can be said of where it comes from."""
    name = graph[len(GRAPH):]
    kind = SHARED_GRAPHS.get(name)
    return Reference(kind) if kind else Reference("article", article_term(ARTICLE + name))


# --------------------------------------------------------------------------- facts

def _property(row: dict, groups: dict[str, Property]) -> Property:
    iri = row["p"]["value"]
    group = groups.get(iri)
    if group is None:
        label_en = binding_value(row.get("p_en")) or words_of(iri)
        href = local_href(iri)  # an ontology term: /ontology#term
        group = groups[iri] = Property(iri, label_en, binding_value(row.get("p_ar")), href)
    return group


def build(iri: str, facts: list[dict], statements: list[dict], events: list[dict]) -> StatementPage:
    page = StatementPage(iri)
    references = _statement_references(statements)
    stated: dict[str, Property] = {}
    pointing: dict[str, Property] = {}
    restated: dict[str, Property] = {}
    restated_pointing: dict[str, Property] = {}
    # One value per (direction, property, other end), with the graphs that hold it.
    merged: dict[tuple[str, str, str], tuple[dict, list[str]]] = {}
    for row in facts:
        key = (row["direction"]["value"], row["p"]["value"], row["other"]["value"] + "\x00" + row["other"].get("xml:lang", ""))
        merged.setdefault(key, (row, []))[1].append(row["g"]["value"])

    for (direction, predicate, _), (row, graphs) in merged.items():
        other = row["other"]
        asserted = [g for g in graphs if g != INFERRED]
        if direction == "out" and predicate in LABELLING:
            if other.get("xml:lang", "").startswith("en") and predicate != SKOS + "altLabel":
                page.label_en = page.label_en or other["value"]
            elif other.get("xml:lang", "").startswith("ar") and predicate in (SKOS + "prefLabel", RDFS + "label"):
                page.label_ar = page.label_ar or other["value"]
            elif predicate == SKOS + "altLabel" and other["value"] not in page.alt_labels:
                page.alt_labels.append(other["value"])
            continue
        if direction == "out" and predicate == SCHEMA_TEXT and page_is_article(iri):
            page.text = other["value"]
            continue  # an article's text: shown whole below, its mentions linked
        if direction == "out" and predicate == SCHEMA_HEADLINE:
            page.headline = other["value"]
        term = Term.of(other, row.get("other_en"), row.get("other_ar"))
        if direction == "out" and predicate == RDF_TYPE:
            (page.kinds if asserted else page.restated_kinds).append(term)
            continue
        # The standard-vocabulary records a stated fact is also written as (an org:Membership for "co-chair
        # of", a schema:Role for taking part in a capacity) restate it: folded with the closure's twins.
        restatement = (other["value"].startswith(MEMBERSHIPS) and not iri.startswith(MEMBERSHIPS)) or (
            direction == "out" and predicate == SCHEMA_ATTENDEE and other["type"] == "uri"
            and not other["value"].startswith(ENTITY))
        value = Value(term)
        for graph in sorted(graphs):
            if direction == "out":
                key = (graph, iri, predicate, other["value"])
            else:
                key = (graph, other["value"], predicate, iri)
            # A literal's record holds the same lexical form (both come as text, their datatypes aside).
            value.references += references.get(key) or [_plain_reference(graph)]
        if not asserted or restatement:
            _property(row, restated if direction == "out" else restated_pointing).values.append(value)
        elif direction == "out":
            _property(row, stated).values.append(value)
        else:
            _property(row, pointing).values.append(value)

    page.statements = _ordered(stated)
    page.pointing = _ordered(pointing)
    page.restated = _ordered(restated)
    page.restated_pointing = _ordered(restated_pointing)
    happenings = _events(events)
    page.reports = reports(iri, happenings)
    _qualify_participation(iri, stated, pointing, happenings)
    return page


def page_is_article(iri: str) -> bool:
    rest = iri[len(ARTICLE):] if iri.startswith(ARTICLE) else None
    return rest is not None and "/" not in rest


# Where and when first, then who: the properties a reader looks for first, in this order; the rest follow
# in the order of their words (our own terms, then the standard ones).
FIRST = [ONTOLOGY + name for name in ("heldIn", "startDate", "endDate", "weekday", "ordinal", "hostedBy",
                                      "convenedBy", "coChairedBy", "plenaryOf", "holdsPost", "serves")]


def _ordered(groups: dict[str, Property]) -> list[Property]:
    """The groups in reading order (FIRST, then by their words); values by their text, curated ones last."""
    for group in groups.values():
        group.values.sort(key=lambda v: (v.curated_only, v.term.text.casefold()))
    return sorted(groups.values(), key=lambda g: (FIRST.index(g.iri) if g.iri in FIRST else len(FIRST),
                                                  not g.iri.startswith(ONTOLOGY), g.label_en.casefold()))


# --------------------------------------------------------------------------- n-ary facts

MEASURES = {  # ckg:measure and ckg:returnees as a sentence says them (the annotation guide's values)
    "members": "members", "delegations": "delegations", "ministers": "ministers",
    "heads-of-diplomacy": "heads of diplomacy", "countries-and-organizations": "countries and organizations",
    "participating-members": "participating members", "fighters": "fighters", "families": "fighters' families",
    "fighters-and-families": "fighters and family members",
}
# An event's ckg: class -> the kind of report a page makes of it (count, repatriation, …, claim).
KINDS = {kind.class_of(name): name.lower() for name, kind in EVENTS.items()}
ORDER = ["count", "participation", "repatriation", "detention", "commitment", "proposal", "claim"]
HEADINGS = {"count": ("Counts", "أعداد"), "participation": ("Taking part in a capacity", "المشاركة بصفة"),
            "repatriation": ("Repatriations", "الإعادة إلى الوطن"), "detention": ("Detentions", "الاحتجاز"),
            "commitment": ("Commitments", "الالتزامات"), "proposal": ("Proposals", "الاقتراحات"),
            "claim": ("Claims", "الأقوال المنسوبة")}


@dataclass
class _Event:
    iri: str
    kind: str
    values: dict[str, list] = field(default_factory=dict)  # local name -> Terms or texts
    references: list[Reference] = field(default_factory=list)

    def first(self, name: str):
        found = self.values.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list:
        return self.values.get(name, [])


def _events(rows: list[dict]) -> dict[str, _Event]:
    events: dict[str, _Event] = {}
    for row in rows:
        iri = row["event"]["value"]
        kind = KINDS.get(row["kind"]["value"][len(ONTOLOGY):], "event")
        event = events.setdefault(iri, _Event(iri, kind))
        if row["row"]["value"] == "sentence":
            reference = _sentence_reference(row)
            reference.record = Term(compact(iri), local_href(iri), title=iri)
            event.references.append(reference)
            continue
        name = re.split(r"[#/]", row["p"]["value"])[-1]
        value = row["value"]
        item = Term.of(value, row.get("value_en"), row.get("value_ar")) if value["type"] == "uri" else value["value"]
        if item not in event.values.setdefault(name, []):
            event.values[name].append(item)
    return events


def _number(text: str) -> str:
    return f"{int(text):,}" if text.isdigit() else text


def _join(terms: list) -> list:
    phrase: list = []
    for position, term in enumerate(terms):
        if position:
            phrase.append(" and " if position == len(terms) - 1 else ", ")
        phrase.append(term)
    return phrase


def _account(event: _Event, claims: dict[str, list[_Event]]) -> list:
    """"by Blinken's account, at the Rome ministerial": whose figure or fact it is, where it was said."""
    phrase: list = []
    for claim in claims.get(event.iri, []):
        authors = claim.all("claimedBy")
        if authors:
            phrase += [", by the account of "] + _join(authors)
            if claim.first("attribution") == "context":  # the annotators' reading, not the article's words
                phrase += [" (as the context reads; the article does not name the speaker here)"]
        said_at = claim.first("saidAt")
        if said_at and (not event.first("atMeeting") or said_at.title != event.first("atMeeting").title):
            phrase += [", at ", said_at]
        if claim.first("inDocument"):
            phrase += [", in ", claim.first("inDocument")]
    return phrase


def _figure(event: _Event) -> list:
    """A count as a figure: "more than 79 countries and organizations", "23 delegations from Africa"."""
    bound = "more than " if event.first("bound") == "more-than" else ""
    measure = event.first("measure")
    phrase = [f"{bound}{_number(event.first('count') or '?')} {MEASURES.get(measure, measure or '')}".rstrip()]
    return phrase + ([" from ", event.first("region")] if event.first("region") else [])


def _sentence(event: _Event, claims: dict[str, list[_Event]]) -> list:
    """The event as one English sentence: its agents and values linked, whose account it is."""
    v = event
    at = [" at ", v.first("atMeeting")] if v.first("atMeeting") else []
    region = [" on ", v.first("region")] if v.first("region") else []
    gloss = v.first("comment")
    if v.kind == "count":
        phrase = _figure(v)
    elif v.kind == "repatriation":
        count = v.first("count")
        phrase = _join(v.all("agent")) + [" repatriated " + (f"{_number(count)} " if count else "")
                                          + MEASURES.get(v.first("returnees") or "", v.first("returnees") or "people")]
        if v.all("origin"):
            phrase += [" from "] + _join(v.all("origin"))
    elif v.kind == "detention":
        phrase = _join(v.all("holder")) + [f" held {_number(v.first('count') or '')} detainees".replace("  ", " ")]
        if v.all("detainee"):
            phrase += [" of "] + _join(v.all("detainee"))
    elif v.kind == "commitment":
        phrase = _join(v.all("agent")) + [" committed"] + region + at
    elif v.kind == "proposal":
        phrase = _join(v.all("agent")) + [" proposed"] + at
    elif v.kind == "participation":
        phrase = _join(v.all("participantIn")) + [" took part"]
        if v.first("atMeeting"):
            phrase += [" in ", v.first("atMeeting")]
        for capacity in v.all("capacity"):  # "as observer", but "by video conference"
            phrase += [" " if capacity.text.startswith("by ") else " as ", capacity]
    elif v.kind == "claim":
        phrase = _join(v.all("claimedBy")) + [" said"]
        if v.first("saidAt"):
            phrase += [" at ", v.first("saidAt")]
        if v.first("inDocument"):
            phrase += [" in ", v.first("inDocument")]
        return phrase + [": " + (v.first("description") or gloss or "")]
    else:
        return [gloss or event.iri]
    # Whose account it is comes before the gloss of what was committed or proposed, which ends the sentence.
    phrase += _account(event, claims)
    return phrase + ([": " + gloss] if gloss and v.kind in ("commitment", "proposal") else [])


def reports(iri: str, events: dict[str, "_Event"]) -> list[Report]:
    claims: dict[str, list[_Event]] = {}
    for event in events.values():
        if event.kind == "claim":
            for stated in event.all("states"):
                claims.setdefault(stated.title, []).append(event)
    found: list[Report] = []
    counts: dict[tuple, Report] = {}
    for event in sorted(events.values(), key=lambda e: (ORDER.index(e.kind) if e.kind in ORDER else 99, _record_order(e.iri))):
        report = Report(event.kind, _sentence(event, claims), references=event.references,
                        figure=_figure(event) if event.kind == "count" else [])
        if event.kind == "claim":
            report.words_ar = event.first("text")
            report.attribution = event.first("attribution")
            report.states = [Report(events[s.title].kind, _sentence(events[s.title], {}), [])
                             for s in event.all("states") if s.title in events]
        if event.kind == "count":
            # Counts of one thing at one meeting read as one line: "Marrakesh 2022: 47 ministers; 38 …".
            subject, meeting = event.first("countOf"), event.first("atMeeting")
            key = (subject.title if subject else None, meeting.title if meeting else None)
            group = counts.get(key)
            if group is None:
                heading = ([subject] if subject else []) + ([" at ", meeting] if meeting else [])
                group = counts[key] = Report("count", heading)
                found.append(group)
            group.items.append(report)
            continue
        if event.kind != "claim" and event.iri in claims and iri not in _involved(event) | {event.iri}:
            continue  # shown inside the claim that states it
        if event.kind == "claim" and iri not in _involved(event):
            continue  # it states an event of this page, which says whose account it is
        found.append(report)
    return found


PARTICIPANT = ONTOLOGY + "participant"


def _qualify_participation(iri: str, stated: dict[str, Property], pointing: dict[str, Property],
                           events: dict[str, _Event]) -> None:
    """A meeting's participant who took part in a capacity (observer, by video conference): the capacity
    qualifies the fact, on the meeting's page and on the participant's, with the sentence that names it."""
    for group, meeting_is_here in ((stated.get(PARTICIPANT), True), (pointing.get(PARTICIPANT), False)):
        for value in group.values if group else []:
            meeting, participant = (iri, value.term.title) if meeting_is_here else (value.term.title, iri)
            for event in events.values():
                at = event.first("atMeeting")
                if event.kind != "participation" or not at or at.title != meeting:
                    continue
                if participant in {t.title for t in event.all("participantIn")}:
                    for capacity in event.all("capacity"):
                        way = "taking part " if capacity.text.startswith("by ") else "taking part as "
                        value.qualifiers.append(Qualifier([way, capacity], event.references))


def _involved(event: _Event) -> set[str]:
    return {t.title for values in event.values.values() for t in values if isinstance(t, Term)}


def _record_order(iri: str) -> tuple:
    stem, _, local = iri.rpartition("/")
    return (stem, int(local[1:]) if local[1:].isdigit() else 0)
