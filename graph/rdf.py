"""Checked annotations, registry and curation -> quads, one named graph per source.

- <graph/STEM>: what article STEM states: the article itself, its sentences, each mention as an
  oa:Annotation, every relation and event its .ann file annotates, each with the words it rests on.
- <graph/curation>: the registry (labels, types, Wikidata matches) and seeds/curation.toml, each fact
  with its reason. Never presented as an article's statement.
Every IRI is derived from stable names (entity ids, article stems, annotation ids): no blank nodes, so
the same input always gives the same quads.
"""

from __future__ import annotations

import re
from typing import Iterator

import pyoxigraph as ox

from . import arabic
from .annotations import Annotations, Mention, Value, parse_value
from .errors import BuildError
from .registry import CuratedFact, Registry
from .vocabulary import EVENTS, MEMBERSHIP_ROLES, RELATIONS
from coalition_kg.namespaces import (ARTICLE, DCTERMS, ENTITY, GRAPH, OA, ONTOLOGY, ORG, PROV, RDF, RDFS, SCHEMA,
                                     SKOS, WD, XSD)

CURATION = ox.NamedNode(GRAPH + "curation")
TYPE = ox.NamedNode(RDF + "type")


def iri(namespace: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(namespace + local)


def ckg(local: str) -> ox.NamedNode:
    return ox.NamedNode(ONTOLOGY + local)


def entity(entity_id: str) -> ox.NamedNode:
    return ox.NamedNode(ENTITY + entity_id)


def article_graph(stem: str) -> ox.NamedNode:
    return ox.NamedNode(GRAPH + stem)


def text(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def typed(value: Value) -> ox.Literal:
    if value.datatype == "weekday":
        return ox.Literal(value.lexical)
    return ox.Literal(value.lexical, datatype=iri(XSD, value.datatype))


def integer(number: int) -> ox.Literal:
    return ox.Literal(str(number), datatype=iri(XSD, "integer"))


# --------------------------------------------------------------------------- sentences

_SENTENCE_END = re.compile(r"[.!?؟]+|\n")


def sentences(content: str) -> list[tuple[int, int]]:
    """Sentence spans (code points, end exclusive), trimmed of white space, in order.

    A sentence ends at . ! ? ؟ or a line break; the seeds often omit the space after a full stop
    ("…بلينكن.وأشار"), so no space is required."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(content):
        spans.append((start, match.end() if match.group() != "\n" else match.start()))
        start = match.end()
    spans.append((start, len(content)))
    trimmed = []
    for begin, end in spans:
        piece = content[begin:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            trimmed.append((begin + lead, begin + lead + len(stripped)))
    return trimmed


# --------------------------------------------------------------------------- articles

def article_quads(ann: Annotations, registry: Registry) -> Iterator[ox.Quad]:
    g = article_graph(ann.stem)
    art = ox.NamedNode(ARTICLE + ann.stem)
    base = ARTICLE + ann.stem + "/"

    def q(s, p, o):
        return ox.Quad(s, p, o, g)

    yield q(art, TYPE, ckg("Article"))
    yield q(art, iri(SCHEMA, "inLanguage"), text("ar"))
    yield q(art, iri(DCTERMS, "identifier"), text(ann.stem + ".txt"))
    yield q(art, iri(SCHEMA, "text"), text(ann.text, "ar"))
    title = registry.articles.get(ann.stem)
    # A title found in the text is the article's own headline; one that is not is the curators' own,
    # a label only (the pages say so), never presented as the article's headline.
    if title is not None and title.ar in ann.text:
        yield q(art, iri(SCHEMA, "headline"), text(title.ar, "ar"))

    spans = sentences(ann.text)
    sentence_nodes = []
    for index, (start, end) in enumerate(spans, start=1):
        node = ox.NamedNode(f"{base}s{index}")
        sentence_nodes.append((start, end, node))
        yield q(node, TYPE, ckg("Sentence"))
        yield q(node, iri(SCHEMA, "isPartOf"), art)
        yield q(node, iri(RDF, "value"), text(ann.text[start:end], "ar"))
        yield q(node, ckg("start"), integer(start))
        yield q(node, ckg("end"), integer(end))
        yield q(node, ckg("index"), integer(index))

    def sentence_of(mention: Mention) -> ox.NamedNode:
        for start, end, node in sentence_nodes:
            if start <= mention.start < end:
                return node
        return sentence_nodes[-1][2]

    def annotation(mid: str) -> ox.NamedNode:
        return ox.NamedNode(base + mid)

    # Mentions: one oa:Annotation each, and what the mention itself says of its entity.
    for mention in ann.mentions.values():
        node = annotation(mention.id)
        target = ox.NamedNode(base + mention.id + "/target")
        position = ox.NamedNode(base + mention.id + "/position")
        quote = ox.NamedNode(base + mention.id + "/quote")
        yield q(node, TYPE, iri(OA, "Annotation"))
        yield q(node, iri(OA, "motivatedBy"), iri(OA, "identifying" if mention.entity else "tagging"))
        yield q(node, ckg("mentionType"), text(mention.type))
        yield q(node, ckg("inSentence"), sentence_of(mention))
        yield q(node, iri(OA, "hasTarget"), target)
        yield q(target, TYPE, iri(OA, "SpecificResource"))
        yield q(target, iri(OA, "hasSource"), art)
        yield q(target, iri(OA, "hasSelector"), position)
        yield q(target, iri(OA, "hasSelector"), quote)
        yield q(position, TYPE, iri(OA, "TextPositionSelector"))
        yield q(position, iri(OA, "start"), integer(mention.start))
        yield q(position, iri(OA, "end"), integer(mention.end))
        yield q(quote, TYPE, iri(OA, "TextQuoteSelector"))
        yield q(quote, iri(OA, "exact"), text(mention.text, "ar"))
        if mention.note:
            yield q(node, iri(RDFS, "comment"), text(mention.note, "en"))
        if mention.entity:
            ent = entity(mention.entity)
            yield q(node, iri(OA, "hasBody"), ent)
            known = registry.entities[mention.entity]
            yield q(ent, TYPE, ckg(known.type))
            form = mention.form
            if mention.names_entity and form != known.ar:
                yield q(ent, iri(SKOS, "altLabel"), text(form, "ar"))
        elif mention.value is not None:
            yield q(node, iri(RDF, "value"), typed(mention.value))
        if "Published" in mention.attributes:
            yield q(art, iri(SCHEMA, "datePublished"), typed(mention.value))
        if "Author" in mention.attributes:
            yield q(art, iri(SCHEMA, "author"), entity(mention.entity))
        if "Publisher" in mention.attributes:
            yield q(art, iri(SCHEMA, "publisher"), entity(mention.entity))

    # Relations: the fact, and a ckg:Statement that ties it to the mentions that state it.
    for relation in ann.relations.values():
        kind = RELATIONS[relation.type]
        arg1, arg2 = ann.mentions[relation.arg1], ann.mentions[relation.arg2]
        subject = entity(arg1.entity)
        predicate = ckg(kind.predicate)
        obj = typed(arg2.value) if kind.literal else entity(arg2.entity)
        yield q(subject, predicate, obj)
        if relation.type == "holdsPost":
            yield q(subject, iri(SCHEMA, "jobTitle"), text(arg2.form, "ar"))
        statement = ox.NamedNode(base + relation.id)
        yield from _statement(q, statement, subject, predicate, obj)
        for mid in (relation.arg1, relation.arg2):
            yield q(statement, iri(PROV, "wasDerivedFrom"), annotation(mid))
        if relation.note:
            yield q(statement, iri(RDFS, "comment"), text(relation.note, "en"))
        if kind.literal and "WorkedOut" in arg2.attributes:
            yield q(statement, ckg("workedOut"), ox.Literal("true", datatype=iri(XSD, "boolean")))
            yield q(statement, iri(RDFS, "comment"), text(arg2.note, "en"))
        yield q(statement, ckg("inSentence"), sentence_of(arg1))
        if sentence_of(arg2) != sentence_of(arg1):
            yield q(statement, ckg("inSentence"), sentence_of(arg2))
        if relation.type in MEMBERSHIP_ROLES:
            yield from _membership(q, arg1.entity, MEMBERSHIP_ROLES[relation.type], arg2.entity, registry)

    # Events: a node per event, its arguments, and the mentions it rests on.
    for event in ann.events.values():
        node = ox.NamedNode(base + event.id)
        trigger = ann.mentions[event.trigger]
        yield q(node, TYPE, ckg(EVENTS[event.type].class_of(event.type)))
        yield q(node, ckg("trigger"), text(trigger.text, "ar"))
        yield q(node, iri(PROV, "wasDerivedFrom"), annotation(trigger.id))
        yield q(node, ckg("inSentence"), sentence_of(trigger))
        yield q(node, iri(PROV, "wasQuotedFrom"), art)
        if event.note:
            yield q(node, iri(RDFS, "comment"), text(event.note, "en"))
        if event.type == "Count":
            yield q(node, ckg("count"), typed(trigger.value))
        if event.type == "Participation":
            yield from _participation(q, node, event, ann, registry, annotation)
        if event.type == "Claim":  # schema:Claim as CONTRACT.md section 7 asks
            yield q(node, iri(SCHEMA, "text"), text(trigger.text, "ar"))
            yield q(node, iri(SCHEMA, "appearance"), art)
            if event.note:
                yield q(node, iri(SCHEMA, "description"), text(event.note, "en"))
            if event.attributes.get("Attribution") == "article":  # no speaker: the article's own voice
                yield q(node, ckg("saidByArticle"), art)
        for name, value in sorted(event.attributes.items()):
            yield q(node, ckg(EVENTS[event.type].attributes[name].predicate), text(value))
        for role, mid in event.arguments:
            predicate = ckg(EVENTS[event.type].roles[role].predicate)
            if mid in ann.events:  # an event the claim states
                yield q(node, predicate, ox.NamedNode(base + mid))
                continue
            argument = ann.mentions[mid]
            yield q(node, iri(PROV, "wasDerivedFrom"), annotation(mid))
            value = typed(argument.value) if argument.value is not None else entity(argument.entity)
            yield q(node, predicate, value)


def _participation(q, node, event, ann: Annotations, registry: Registry, annotation) -> Iterator[ox.Quad]:
    """schema.org's role pattern: the meeting's attendee is a schema:Role node (one per participant, under
    the event's IRI) that names the capacity and has the participant as its attendee; the plain
    participation holds too."""
    arguments = [(role, ann.mentions[mid]) for role, mid in event.arguments]
    meetings = [entity(m.entity) for role, m in arguments if role == "Meeting"]
    capacities = [m for role, m in arguments if role == "Capacity"]
    for role, participant in arguments:
        if role != "Participant":
            continue
        role_node = ox.NamedNode(f"{node.value}/{participant.entity}")
        yield q(role_node, TYPE, ckg("ParticipationRole"))
        yield q(role_node, iri(SCHEMA, "attendee"), entity(participant.entity))
        yield q(role_node, iri(PROV, "wasDerivedFrom"), node)  # the statement it was read from
        yield q(role_node, iri(PROV, "wasDerivedFrom"), annotation(participant.id))
        for capacity in capacities:
            known = registry.entities[capacity.entity]
            yield q(role_node, ckg("capacity"), entity(capacity.entity))
            yield q(role_node, iri(SCHEMA, "roleName"), text(known.en, "en"))
            yield q(role_node, iri(SCHEMA, "roleName"), text(capacity.form, "ar"))
            yield q(role_node, iri(PROV, "wasDerivedFrom"), annotation(capacity.id))
        for meeting in meetings:
            yield q(meeting, iri(SCHEMA, "attendee"), role_node)
            yield q(meeting, ckg("participant"), entity(participant.entity))


def _statement(q, node, subject, predicate, obj) -> Iterator[ox.Quad]:
    yield q(node, TYPE, ckg("Statement"))
    yield q(node, iri(RDF, "subject"), subject)
    yield q(node, iri(RDF, "predicate"), predicate)
    yield q(node, iri(RDF, "object"), obj)


def membership_node(member: str, role: str, organization: str) -> ox.NamedNode:
    return entity(f"membership/{member}/{role.removeprefix('role-')}/{organization}")


def _membership(q, member: str, role: str, organization: str, registry: Registry) -> Iterator[ox.Quad]:
    """An org:Membership, labelled in both languages from its parts' labels, so that it reads as what it
    is wherever it is shown (its page, a search hit, a query's result)."""
    node = membership_node(member, role, organization)
    who, what, where = (registry.entities[key] for key in (member, role, organization))
    yield q(node, TYPE, ckg("Membership"))
    yield q(node, iri(SKOS, "prefLabel"), text(f"Membership of {who.en} in {where.en} ({what.en})", "en"))
    yield q(node, iri(SKOS, "prefLabel"), text(f"عضوية {who.ar} في {where.ar} ({what.ar})", "ar"))
    yield q(node, iri(ORG, "member"), entity(member))
    yield q(node, iri(ORG, "organization"), entity(organization))
    yield q(node, iri(ORG, "role"), entity(role))


# --------------------------------------------------------------------------- curation

def registry_quads(registry: Registry) -> Iterator[ox.Quad]:
    def q(s, p, o):
        return ox.Quad(s, p, o, CURATION)

    for known in registry.entities.values():
        node = entity(known.id)
        yield q(node, TYPE, ckg(known.type))
        yield q(node, iri(SKOS, "prefLabel"), text(known.en, "en"))
        yield q(node, iri(SKOS, "prefLabel"), text(known.ar, "ar"))
        yield q(node, iri(SKOS, "hiddenLabel"), text(arabic.normalise(known.ar)))
        if known.note:
            yield q(node, iri(RDFS, "comment"), text(known.note, "en"))
        if known.wikidata:
            yield q(node, iri(SKOS, "exactMatch"), iri(WD, known.wikidata))
    for title in registry.articles.values():
        art = ox.NamedNode(ARTICLE + title.stem)
        yield q(art, iri(SKOS, "prefLabel"), text(title.en, "en"))
        yield q(art, iri(SKOS, "prefLabel"), text(title.ar, "ar"))
    yield q(CURATION, iri(RDFS, "comment"), text(
        "Labels, types and Wikidata matches from seeds/entities.toml (English labels are the curators'; "
        "Wikidata identifiers as confirmed in shared/wikidata.tsv), and the facts of seeds/curation.toml, "
        "each with its reason.", "en"))


def curated_fact_quads(facts: list[CuratedFact], registry: Registry) -> Iterator[ox.Quad]:
    def q(s, p, o):
        return ox.Quad(s, p, o, CURATION)

    for fact in facts:
        kind = RELATIONS[fact.relation]
        subject = entity(fact.subject)
        predicate = ckg(kind.predicate)
        if fact.object is not None:
            obj = entity(fact.object)
        else:
            obj = typed(_curated_value(fact, registry))
        yield q(subject, predicate, obj)
        node = ox.NamedNode(GRAPH + f"curation/fact{fact.index}")
        yield from _statement(q, node, subject, predicate, obj)
        yield q(node, iri(RDFS, "comment"), text(fact.reason, "en"))
        if fact.source:
            yield q(node, iri(DCTERMS, "source"), text(fact.source))
        for ref in fact.derived_from:
            stem, _, mid = ref.partition("#")
            yield q(node, iri(PROV, "wasDerivedFrom"), ox.NamedNode(ARTICLE + stem + ("/" + mid if mid else "")))
        if fact.relation in MEMBERSHIP_ROLES and fact.object:
            yield from _membership(q, fact.subject, MEMBERSHIP_ROLES[fact.relation], fact.object, registry)


def _curated_value(fact: CuratedFact, registry: Registry) -> Value:
    """A curated literal, checked as an annotated one is (a real calendar date, an integer)."""

    def fail(message: str):
        raise BuildError(registry.path.with_name("curation.toml"), f"fact {fact.index}: {message}", fact.line)

    kind = RELATIONS[fact.relation]
    if not kind.literal:
        fail(f"{fact.relation} relates two entities; give an object, not a value")
    return parse_value(fact.value, kind.arg2[0], fail)


def job_titles_en(annotations: list[Annotations], registry: Registry) -> Iterator[ox.Quad]:
    """English job titles are the curators' rendering of the posts the articles name."""
    for ann in annotations:
        for relation in ann.relations.values():
            if relation.type == "holdsPost":
                person = ann.mentions[relation.arg1].entity
                post = registry.entities[ann.mentions[relation.arg2].entity]
                yield ox.Quad(entity(person), iri(SCHEMA, "jobTitle"), text(post.en, "en"), CURATION)


def curated_titles(annotations: list[Annotations], registry: Registry) -> Iterator[ox.Quad]:
    """An Arabic title that its article's text does not hold is the curators' own, not the article's
    headline: a curation record says so (as a curated fact's does), so that every page and every
    consumer can tell it from a headline."""
    def q(s, p, o):
        return ox.Quad(s, p, o, CURATION)

    for ann in annotations:
        title = registry.articles.get(ann.stem)
        if title is None or title.ar in ann.text:
            continue
        art = ox.NamedNode(ARTICLE + ann.stem)
        record = ox.NamedNode(GRAPH + f"curation/title/{ann.stem}")
        yield from _statement(q, record, art, iri(SKOS, "prefLabel"), text(title.ar, "ar"))
        yield q(record, iri(RDFS, "comment"), text(
            "The curators' own title: these words occur nowhere in the article's text, which has no headline "
            "of its own (schema:headline), so the title is a label only, not the article's.", "en"))
