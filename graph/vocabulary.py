"""What the annotations may say, and which ontology term each kind of statement becomes.

This is the one table that the annotation checks (graph/annotations.py) and the RDF mapping
(graph/rdf.py) share; seeds/ANNOTATION.md documents it for annotators, and a test checks that every
term named here is declared in ontology/ckg.ttl.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# An N line names the registry entity a mention refers to as NORMALIZATION_DB:ID (ckg:skhirat), brat's
# normalization database of that name.
NORMALIZATION_DB = "ckg"

MEETING_KINDS = ("MinisterialMeeting", "PoliticalDirectorsMeeting", "GroupPlenary", "Summit")

# Mention type -> the registry types an entity mention of that type may refer to.
ENTITY_MENTIONS: dict[str, tuple[str, ...]] = {
    "Person": ("Person",),
    "Country": ("Country",),
    "City": ("City",),
    "Region": ("Region",),
    "Organization": ("Organization",),
    "Coalition": ("Coalition",),
    "Group": ("Group",),
    "Meeting": MEETING_KINDS,
    "Post": ("Post",),
    "Role": ("Role",),
    "Document": ("Document",),
}
VALUE_MENTIONS = ("Date", "Quantity")
EVENT_TYPES = ("Count", "Repatriation", "Detention", "Commitment", "Proposal", "Claim", "Participation")
EVENT_ARGUMENT = "Event"  # in an event's roles: the argument is another event (an E id), not a mention
MENTION_TYPES = tuple(ENTITY_MENTIONS) + VALUE_MENTIONS + EVENT_TYPES
REGISTRY_TYPES = tuple(sorted({t for kinds in ENTITY_MENTIONS.values() for t in kinds}))

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

AGENTS = ("Person", "Country", "Organization", "Coalition", "Group")
PLACES = ("City", "Country", "Region")


@dataclass(frozen=True)
class RelationKind:
    arg1: tuple[str, ...]
    arg2: tuple[str, ...]
    predicate: str  # local name in the ckg: namespace
    literal: bool = False  # Arg2 is a value mention whose Value becomes a literal


RELATIONS: dict[str, RelationKind] = {
    "heldIn": RelationKind(("Meeting",), ("City", "Country"), "heldIn"),
    "startDate": RelationKind(("Meeting",), ("Date",), "startDate", literal=True),
    "endDate": RelationKind(("Meeting",), ("Date",), "endDate", literal=True),
    "onWeekday": RelationKind(("Meeting",), ("Date",), "weekday", literal=True),
    "ordinal": RelationKind(("Meeting",), ("Quantity",), "ordinal", literal=True),
    "hostedBy": RelationKind(("Meeting",), ("Country", "Person", "Organization"), "hostedBy"),
    "convenedBy": RelationKind(("Meeting",), ("Person", "Country", "Organization"), "convenedBy"),
    "coChairedBy": RelationKind(("Meeting",), ("Country", "Person"), "coChairedBy"),
    "attendedBy": RelationKind(("Meeting",), ("Person", "Country", "Organization", "Coalition"), "participant"),
    "spokeAt": RelationKind(("Person",), ("Meeting",), "spokeAt"),
    "plenaryOf": RelationKind(("Meeting",), ("Group",), "plenaryOf"),
    "onMarginsOf": RelationKind(("Meeting",), ("Meeting",), "onMarginsOf"),
    "continues": RelationKind(("Meeting",), ("Meeting",), "continues"),
    "reaffirms": RelationKind(("Meeting",), ("Meeting",), "reaffirms"),
    "buildsOn": RelationKind(("Meeting",), ("Meeting",), "buildsOn"),
    "adopted": RelationKind(("Meeting",), ("Document",), "adopted"),
    "endorsed": RelationKind(("Meeting",), ("Document",), "endorsed"),
    "about": RelationKind(("Meeting", "Document"), ("Region", "Country", "Organization", "Group"), "about"),
    "issuedBy": RelationKind(("Document",), ("Meeting", "Organization", "Coalition"), "issuedBy"),
    "presentedBy": RelationKind(("Document",), ("Person", "Country"), "presentedBy"),
    "presentedAt": RelationKind(("Document",), ("Meeting",), "presentedAt"),
    "documentOf": RelationKind(("Document",), ("Group", "Coalition"), "documentOf"),
    "holdsPost": RelationKind(("Person",), ("Post",), "holdsPost"),
    "affiliatedWith": RelationKind(("Person",), ("Country", "Organization", "Coalition"), "serves"),
    "postIn": RelationKind(("Post",), ("Country", "Organization"), "postIn"),
    "leads": RelationKind(("Person",), ("Country", "Organization"), "leads"),
    "memberOf": RelationKind(("Country", "Organization"), ("Coalition", "Group"), "memberOf"),
    "coChairOf": RelationKind(("Country",), ("Group",), "coChairOf"),
    "groupOf": RelationKind(("Group",), ("Coalition",), "groupOf"),
    "launchedAt": RelationKind(("Group",), ("Meeting",), "launchedAt"),
    "partOf": RelationKind(("Organization",), ("Country", "Organization"), "partOf"),
    "containedIn": RelationKind(("City", "Region", "Country"), ("Country", "Region"), "containedIn"),
}

# Relations that also make an org:Membership with this role (registry id of the Role).
MEMBERSHIP_ROLES = {"memberOf": "role-member", "coChairOf": "role-co-chair"}


class Role(NamedTuple):
    """An event's argument: the mention types it may be, and the ckg: property it becomes."""

    types: tuple[str, ...]
    predicate: str  # local name in the ckg: namespace


class EventAttribute(NamedTuple):
    """An event's attribute: the values it may take, and the ckg: property that holds the value."""

    values: tuple[str, ...]
    predicate: str  # local name in the ckg: namespace


@dataclass(frozen=True)
class EventKind:
    roles: dict[str, Role]
    required: tuple[str, ...]
    attributes: dict[str, EventAttribute]
    ontology_class: str | None = None  # the ckg: class of the event's node, when not the event type's name

    def class_of(self, event_type: str) -> str:
        return self.ontology_class or event_type


EVENTS: dict[str, EventKind] = {
    "Count": EventKind(
        roles={"Subject": Role(("Coalition", "Meeting", "Group"), "countOf"), "Meeting": Role(("Meeting",), "atMeeting"),
               "Region": Role(("Region",), "region")},
        required=("Subject",),
        attributes={
            "Measure": EventAttribute(("members", "delegations", "ministers", "heads-of-diplomacy",
                                       "countries-and-organizations", "participating-members"), "measure"),
            "Bound": EventAttribute(("more-than",), "bound"),
        },
        ontology_class="CountObservation",
    ),
    "Repatriation": EventKind(
        roles={"Agent": Role(("Country",), "agent"), "Count": Role(("Quantity",), "count"),
               "Origin": Role(PLACES, "origin")},
        required=("Agent",),
        attributes={"Returnees": EventAttribute(("fighters", "families", "fighters-and-families"), "returnees")},
    ),
    "Detention": EventKind(
        roles={"Holder": Role(("Organization",), "holder"), "Count": Role(("Quantity",), "count"),
               "Detainee": Role(("Organization",), "detainee")},
        required=("Holder",),
        attributes={},
    ),
    "Commitment": EventKind(
        roles={"Agent": Role(AGENTS + ("Meeting",), "agent"), "Meeting": Role(("Meeting",), "atMeeting"),
               "Region": Role(PLACES, "region")},
        required=("Agent",),
        attributes={},
    ),
    "Proposal": EventKind(
        # never a city: see the Metonym attribute
        roles={"Agent": Role(AGENTS, "agent"), "Meeting": Role(("Meeting",), "atMeeting")},
        required=("Agent",),
        attributes={},
    ),
    # What someone says, in the article's words (the trigger spans them): a claim, an assessment, a
    # concern, a call, a figure by someone's account. Author: who made it; Meeting: where it was said;
    # Source: the document it was made in; About: what it is about; Content: an event of the same
    # article that the claim states (a repatriation "by his account", a commitment "according to the
    # statement"), so that the event carries its speaker. A claim in the article's own voice (background
    # the journalist gives, not a speaker's words) has the article's byline author where it names one,
    # and no Author where it names none: the graph does not invent one.
    "Claim": EventKind(
        roles={
            "Author": Role(AGENTS, "claimedBy"),
            "Meeting": Role(("Meeting",), "saidAt"),
            "Source": Role(("Document",), "inDocument"),
            "About": Role(tuple(ENTITY_MENTIONS), "about"),
            "Content": Role((EVENT_ARGUMENT,), "states"),
        },
        required=(),  # an Author, except for a claim in the article's own voice (see _check_event)
        # How the article attributes it: in so many words (على حد قوله، حسب بلينكن، وفق بيان), only by
        # context (a sentence that continues someone's account without naming them: the note says why), or
        # to no speaker: the article says it in its own voice.
        attributes={"Attribution": EventAttribute(("words", "context", "article"), "attribution")},
    ),
    # Taking part in a meeting in a capacity the text names (observer, co-chair, by video): each
    # participant gets a schema:Role node between the meeting and them (CONTRACT.md section 8).
    "Participation": EventKind(
        roles={"Meeting": Role(("Meeting",), "atMeeting"), "Participant": Role(AGENTS, "participantIn"),
               "Capacity": Role(("Role",), "capacity")},
        required=("Meeting", "Participant", "Capacity"),
        attributes={},
    ),
}

# Attributes on mentions: name -> (mention types it applies to, takes a value)
MENTION_ATTRIBUTES: dict[str, tuple[tuple[str, ...], bool]] = {
    "Value": (VALUE_MENTIONS + ("Count",), True),
    "Weekday": (("Date",), True),
    # The Value is a day worked out from the words (a weekday) and the article's own date; the
    # mention's note says how. What rests on it says so (ckg:workedOut), as curated days say theirs.
    "WorkedOut": (("Date",), False),
    "Anaphor": (tuple(ENTITY_MENTIONS), False),
    # The word names something else that stands for the entity («واشنطن تقترح»: the city's name for the
    # United States): a second mention on the same span says what is meant; it gives the entity no label.
    "Metonym": (tuple(ENTITY_MENTIONS), False),
    "Published": (("Date",), False),
    "Author": (("Person",), False),
    "Publisher": (("Organization",), False),
}
