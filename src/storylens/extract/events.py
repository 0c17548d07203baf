"""What happened, where and when: event records from spaCy dependency parses.

Rule-based. A sentence's event triggers come from a small lexicon of verb and noun
lemmas (``TRIGGERS``) mapped to the event types of ``EVENT_TYPES`` (each with its PLOVER
category and ACLED event / sub-event type; see docs/events.md). Around a trigger the
parse gives:

* actor: the subject of a verb trigger, the agent of a passive one, or the country or
  group that modifies a noun trigger ("a US drone strike" -> United States);
* target: the object (or passive subject), or "on/against X" of a noun trigger; for
  deadly events the people killed ("killed a commander of ...");
* place: a place attached to the trigger through prepositions ("strike ... in eastern
  Baghdad"), not one inside the description of a participant ("a group in Iraq");
* date: a time expression in the trigger's clause, normalised against the dateline
  date or the publication date (reporting verbs' dates, "said on Thursday", are skipped);
* fatalities / injured: numbers of people killed or wounded in clauses that belong to
  the trigger ("died in a drone strike", "a strike that killed a commander"), never those
  of another event mentioned in passing ("an attack that killed three soldiers");
* reactions: who condemned, supported, threatened or justified it, from reaction verbs
  ("denounced", "vowed") and cue words in what was said ("violation", "retaliation").

:func:`build_event` merges the articles of a story into one :class:`~storylens.model.Event`
with, per field, the outlets, article ids and sentence spans it came from, and per-outlet
``claims`` where outlets disagree (the event keeps the lowest casualty figure, as ACLED
does).

>>> ev = extract_events("Baghdad, Feb. 8 -- A US drone strike killed a commander in eastern Baghdad on Wednesday.",
...                     "2024-02-08", None)                       # doctest: +SKIP
>>> ev[0]["type"], ev[0]["actor"], ev[0]["place"]["name"], ev[0]["date"], ev[0]["fatalities"]  # doctest: +SKIP
('air_strike', 'United States', 'Baghdad', '2024-02-07', 1)
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict
from typing import Any, Iterable, Sequence

from ..model import Event, Place, Quote
from .dates import find_dateline, normalize_dates, to_date
from .entities import canonicalize, clean_name, extract_entities
from .places import country_code, country_of, countries_in, extract_places, resolve_place

__all__ = ["EVENT_TYPES", "TRIGGERS", "build_event", "extract_events", "analyze_sentence", "classify_sentence",
           "plover_category"]

# type -> (label, PLOVER category, ACLED "event type / sub-event type" or None, violent?)
EVENT_TYPES: dict[str, dict[str, Any]] = {
    "air_strike": {"label": "air/drone strike", "plover": "FIGHT", "plover_mode": "aerial",
                   "acled": "Explosions/Remote violence / Air/drone strike", "violent": True},
    "shelling": {"label": "shelling, artillery or missile attack", "plover": "FIGHT", "plover_mode": "artillery",
                 "acled": "Explosions/Remote violence / Shelling/artillery/missile attack", "violent": True},
    "bombing": {"label": "bombing or explosion", "plover": "ASSAULT", "plover_mode": "explosives",
                "acled": "Explosions/Remote violence / Remote explosive/landmine/IED", "violent": True},
    "armed_clash": {"label": "armed clash", "plover": "FIGHT", "plover_mode": "small-arms",
                    "acled": "Battles / Armed clash", "violent": True},
    "attack": {"label": "attack (shooting, killing, assault)", "plover": "ASSAULT", "plover_mode": None,
               "acled": "Violence against civilians / Attack", "violent": True},
    "abduction": {"label": "abduction", "plover": "ASSAULT", "plover_mode": "abduct",
                  "acled": "Violence against civilians / Abduction/forced disappearance", "violent": True},
    "destruction": {"label": "destruction of property", "plover": "COERCE", "plover_mode": "destroy",
                    "acled": "Strategic developments / Looting/property destruction", "violent": True},
    "arrest": {"label": "arrest or detention", "plover": "COERCE", "plover_mode": "arrest",
               "acled": "Strategic developments / Arrests", "violent": True},
    "coerce": {"label": "coercion (deportation, seizure, restriction)", "plover": "COERCE", "plover_mode": None,
               "acled": None, "violent": True},
    "riot": {"label": "riot", "plover": "PROTEST", "plover_mode": "riot",
             "acled": "Riots / Violent demonstration", "violent": True},
    "protest": {"label": "protest", "plover": "PROTEST", "plover_mode": "demo",
                "acled": "Protests / Peaceful protest", "violent": False},
    "mobilize": {"label": "mobilisation or deployment", "plover": "MOBILIZE", "plover_mode": None,
                 "acled": "Strategic developments / Change to group/activity", "violent": False},
    "threaten": {"label": "threat", "plover": "THREATEN", "plover_mode": None, "acled": None, "violent": False},
    "disapprove": {"label": "condemnation or accusation", "plover": "DISAPPROVE", "plover_mode": None,
                   "acled": None, "violent": False},
    "reject": {"label": "rejection", "plover": "REJECT", "plover_mode": None, "acled": None, "violent": False},
    "demand": {"label": "demand", "plover": "DEMAND", "plover_mode": None, "acled": None, "violent": False},
    "sanction": {"label": "sanction", "plover": "SANCTION", "plover_mode": None, "acled": None, "violent": False},
    "investigate": {"label": "investigation", "plover": "INVESTIGATE", "plover_mode": None, "acled": None,
                    "violent": False},
    "agreement": {"label": "agreement", "plover": "AGREE", "plover_mode": None,
                  "acled": "Strategic developments / Agreement", "violent": False},
    "support": {"label": "support or praise", "plover": "SUPPORT", "plover_mode": None, "acled": None,
                "violent": False},
    "consult": {"label": "meeting or talks", "plover": "CONSULT", "plover_mode": None, "acled": None,
                "violent": False},
    "cooperate": {"label": "cooperation", "plover": "COOPERATE", "plover_mode": None, "acled": None,
                  "violent": False},
    "aid": {"label": "aid", "plover": "AID", "plover_mode": None, "acled": None, "violent": False},
    "retreat": {"label": "withdrawal or release", "plover": "RETREAT", "plover_mode": None, "acled": None,
                "violent": False},
    "concede": {"label": "concession", "plover": "CONCEDE", "plover_mode": None, "acled": None, "violent": False},
    "statement": {"label": "statement", "plover": None, "plover_mode": None, "acled": None, "violent": False},
}

_T = {
    "air_strike": "airstrike air-strike airstrikes",
    "shelling": "shell shelling bombard bombardment artillery mortar rocket missile",
    "bombing": "bomb bombing explosion blast explode detonate ied bomber",
    "armed_clash": "clash fight fighting battle gunfight skirmish combat firefight",
    "attack": "attack kill shoot shooting assassinate assassination massacre stab beat ambush assault "
              "gunman murder raid storm slay",
    "abduction": "kidnap abduct abduction kidnapping hostage",
    "destruction": "destroy demolish raze loot burn torch vandalize sabotage",
    "arrest": "arrest detain detention apprehend capture jail imprison",
    "coerce": "deport confiscate evict curfew seize censor crackdown repress expel-from force",
    "riot": "riot rioting unrest",
    "protest": "protest demonstrate demonstration rally march sit-in picket boycott petition",
    "mobilize": "mobilize mobilise deploy deployment patrol reinforce alert",
    "threaten": "threaten threat warn ultimatum vow",
    "disapprove": "condemn denounce criticize criticise accuse blame decry deplore complain slam rebuke censure "
                  "summon object condemnation criticism",
    "reject": "reject refuse veto rebuff decline dismiss rejection deny oppose",
    "demand": "demand urge appeal request insist order call ask press",
    "sanction": "sanction embargo expel suspend cancel sever halt ban freeze suspension",
    "investigate": "investigate investigation probe inquiry inspect inspector examine",
    "agreement": "agree sign accord deal treaty pact ceasefire truce settlement agreement",
    "support": "support praise welcome back endorse commend hail applaud congratulate upgrade recognize",
    "consult": "meet meeting talk talks visit discuss telephone host negotiate consult confer summit",
    "cooperate": "cooperate cooperation collaborate share exercise extradite partner",
    "aid": "aid donate provide send deliver grant assistance supply donation",
    "retreat": "withdraw withdrawal retreat evacuate release return receive",
    "concede": "concede ease lift relax allow compromise yield resign",
    "statement": "say announce state declare report tell add",
}
TRIGGERS: dict[str, str] = {}
for _type, _words in _T.items():
    for _w in _words.split():
        TRIGGERS.setdefault(_w.replace("-from", ""), _type)

REPORTING = {"say", "tell", "announce", "state", "declare", "report", "add", "claim", "confirm", "according"}
DEATH = {"kill", "die", "dead", "death", "slay", "assassinate", "killing", "fatality", "behead", "execute"}
INJURY = {"wound", "injure", "hurt", "injury", "wounded", "injured"}
_AIR = {"drone", "air", "aerial", "airstrike", "helicopter", "warplane", "jet", "aircraft", "uav"}
_ARTILLERY = {"missile", "rocket", "mortar", "artillery", "shell"}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1, "dozen": 12, "twenty": 20, "thirty": 30}
_PRIORITY = ["air_strike", "shelling", "bombing", "armed_clash", "attack", "abduction", "riot", "arrest",
             "destruction", "coerce", "protest", "mobilize"]

STANCE_VERBS = {
    "condemned": {"condemn", "denounce", "criticize", "criticise", "decry", "deplore", "slam", "accuse", "blame",
                  "rebuke", "censure", "protest", "reject"},
    "threatened": {"threaten", "vow", "warn", "promise", "pledge"},
    "supported": {"support", "welcome", "praise", "back", "hail", "applaud", "endorse", "commend"},
    "justified": {"justify", "defend"},
}
_CUES = {
    "threatened": re.compile(r"retaliat|revenge|aveng|unpunished|will respond|pay (?:a|the) (?:heavy )?price|"
                             r"response will|vow", re.I),
    "condemned": re.compile(r"violat|crime|criminal|assassinat|aggression|terroris|illegal|unacceptable|outrage|"
                            r"condemn|denounc|instability|massacre|atrocit|flagrant|cowardly|heinous", re.I),
    "justified": re.compile(r"prevent escalation|to prevent|self[- ]defen[cs]e|right to defend|in response to|"
                            r"deter|protect (?:our|its|their) (?:troops|forces|personnel)|legitimate target|"
                            r"justif", re.I),
    "supported": re.compile(r"welcome|support|praise|\bright to\b", re.I),
}
_ROLE = re.compile(r"spokes(?:man|woman|person)|minister|secretary|president|official|ambassador|envoy|"
                   r"commander|chief|leader|general|adviser|advisor|premier|king|prince|mayor|governor|"
                   r"senator|representative|director|head", re.I)
_QUOTE = re.compile(r"“([^“”\n]{3,}?)”|(?:(?<=[\s(\[])|^)\"([^\"\n]{3,}?)\"(?!\w)")


def _quotes_in(text: str) -> list[str]:
    return [a or b for a, b in _QUOTE.findall(text)]


def plover_category(event_type: str | None) -> str | None:
    """PLOVER category of one of our event types.

    >>> plover_category("air_strike"), plover_category("protest"), plover_category(None)
    ('FIGHT', 'PROTEST', None)
    """
    return EVENT_TYPES.get(event_type or "", {}).get("plover")


# ---------------------------------------------------------------- triggers

def _trigger_type(tok) -> str | None:
    lemma = tok.lemma_.lower()
    low = tok.lower_
    if tok.pos_ not in ("VERB", "NOUN", "PROPN", "ADJ") or tok.ent_type_ in ("GPE", "PERSON", "ORG", "NORP"):
        return None
    if low in ("according", "backed", "led", "aligned", "based") and (tok.i == 0 or tok.nbor(-1).text in "-–"):
        return None
    if tok.i > 0 and tok.nbor(-1).text == "-" and not tok.nbor(-1).whitespace_:
        return None  # "Iran-backed", "U.S.-led": part of a compound adjective
    if low == "according":
        return None
    if lemma in ("strike", "raid", "attack", "bombing", "bombardment", "bomb") or low in ("strikes", "raids"):
        mods = {c.lower_ for c in tok.children if c.dep_ in ("compound", "amod", "nmod")}
        if mods & _AIR:
            return "air_strike"
        if mods & _ARTILLERY:
            return "shelling"
        if lemma == "strike":
            if mods & {"hunger", "general", "labour", "labor", "worker", "workers"}:
                return "protest"
            if tok.pos_ == "VERB":
                return "attack"
            return "air_strike" if any(c.lower_ in _AIR for c in tok.subtree) else "attack"
    if lemma == "fire" and any(c.dep_ == "prt" and c.lower_ == "open" for c in tok.children):
        return "attack"
    if lemma in ("fire", "launch") and any(c.lemma_.lower() in _ARTILLERY for c in tok.children if c.dep_ == "dobj"):
        return "shelling"
    if lemma == "force" and tok.pos_ != "VERB":
        return None
    if lemma == "blow" and any(c.lower_ == "up" for c in tok.children):
        return "destruction"
    if lemma == "call" and any(c.lower_ in ("on", "for") for c in tok.children):
        return "demand"
    if lemma in ("call", "ask", "press", "order") and tok.pos_ != "VERB":
        return None
    if lemma in ("talk", "meet") and tok.pos_ == "VERB" and lemma == "talk":
        return "consult"
    t = TRIGGERS.get(lemma) or TRIGGERS.get(low)
    if t in ("shelling",) and tok.pos_ != "VERB" and lemma in ("rocket", "missile", "artillery", "mortar"):
        head = tok.head
        if head.lemma_.lower() not in ("attack", "fire", "strike", "barrage") and tok.dep_ != "dobj":
            return None
    if lemma == "dead" or lemma == "death":
        return "attack"
    if lemma == "die" and tok.pos_ == "VERB":
        return "attack"
    return t


def _depth(tok) -> int:
    d = 0
    while tok.head.i != tok.i and d < 50:
        tok = tok.head
        d += 1
    return d


def classify_sentence(sent) -> tuple[str | None, Any]:
    """The main event type of a parsed sentence and its trigger token.

    The trigger nearest the root wins; reporting verbs ("said") count only when the
    sentence has no other trigger.

    >>> t, tok = classify_sentence(next(get_nlp()("Albania denounced Serbia on Friday.").sents))  # doctest: +SKIP
    >>> t, tok.text  # doctest: +SKIP
    ('disapprove', 'denounced')
    """
    cands = []
    for tok in sent:
        t = _trigger_type(tok)
        if t:
            depth = _depth(tok)
            # reporting verbs and verbs under an attribution clause are weaker
            outcome = tok.lemma_.lower() in DEATH or tok.lemma_.lower() in INJURY
            rank = (t == "statement", outcome, depth + (0 if tok.pos_ == "VERB" else 0.5), tok.i)
            cands.append((rank, t, tok))
    if not cands:
        return None, None
    cands.sort(key=lambda c: c[0])
    return cands[0][1], cands[0][2]


def _triggers(sent) -> list[tuple[str, Any]]:
    return [(t, tok) for tok in sent if (t := _trigger_type(tok))]


# ---------------------------------------------------------------- phrases and participants

_STOP_DEPS = {"relcl", "acl", "appos", "advcl", "punct", "cc", "ccomp", "parataxis"}


def _phrase(tok, keep_of: bool = True):
    """The noun phrase of ``tok``: left modifiers plus "of/from X", without clauses or appositions."""
    if tok is None:
        return None
    doc = tok.doc
    left = tok.i
    for c in tok.lefts:
        if c.dep_ in ("compound", "amod", "nmod", "poss", "nummod", "det", "quantmod", "case", "advmod", "npadvmod",
                      "conj", "cc"):
            left = min(left, c.left_edge.i)
    right = tok.i
    for c in tok.rights:
        if c.dep_ == "case" or c.dep_ == "compound" or (c.dep_ == "flat"):
            right = max(right, c.i)
        elif keep_of and c.dep_ == "prep" and c.lower_ in ("of", "from"):
            pobj = [x for x in c.children if x.dep_ == "pobj"]
            if pobj:
                end = pobj[0].i
                for cc in pobj[0].lefts:
                    pass
                for cc in pobj[0].rights:
                    if cc.dep_ in ("compound", "case", "flat"):
                        end = max(end, cc.i)
                right = max(right, end)
        elif c.dep_ == "conj":
            right = max(right, _phrase(c, keep_of).end - 1)
    while left < tok.i and doc[left].dep_ in ("det", "cc", "punct") and doc[left].lower_ in ("a", "an", "the", ",", "and"):
        left += 1
    return doc[left:right + 1]


def _subject(tok):
    for c in tok.children:
        if c.dep_ in ("nsubj", "csubj"):
            return c, "active"
    for c in tok.children:
        if c.dep_ == "nsubjpass":
            return c, "passive"
    # xcomp / conj verbs share the subject of their head verb
    if tok.dep_ in ("xcomp", "conj", "advcl") and tok.head.i != tok.i and tok.head.pos_ in ("VERB", "AUX"):
        return _subject(tok.head)
    return None, None


def _agent(tok):
    for c in tok.children:
        if c.dep_ == "agent":
            for p in c.children:
                if p.dep_ == "pobj":
                    return p
    return None


def _actor_target(trig) -> tuple[Any, Any]:
    """Actor and target tokens around a trigger."""
    actor = target = None
    if trig.pos_ in ("VERB", "AUX") or trig.dep_ == "ROOT":
        subj, voice = _subject(trig)
        if voice == "passive":
            target = subj
            actor = _agent(trig)
        else:
            actor = subj
            for c in trig.children:
                if c.dep_ in ("dobj", "attr", "dative"):
                    target = c
                    break
            if target is None:
                for c in trig.children:
                    if c.dep_ == "prep" and c.lower_ in ("against", "on", "with", "to", "at", "into", "upon", "for"):
                        p = [x for x in c.children if x.dep_ == "pobj"]
                        if p:
                            target = p[0]
                            break
            if target is None:
                for c in trig.children:
                    if c.dep_ == "xcomp":
                        for cc in c.children:
                            if cc.dep_ == "dobj":
                                target = cc
                                break
    else:
        for c in trig.children:
            if c.dep_ in ("compound", "amod", "poss", "nmod") and c.ent_type_ in ("GPE", "NORP", "ORG", "PERSON"):
                actor = c
        for c in trig.children:
            if c.dep_ == "prep" and c.lower_ == "by":
                p = [x for x in c.children if x.dep_ == "pobj"]
                if p:
                    actor = p[0]
            if c.dep_ == "prep" and c.lower_ in ("on", "against", "at", "targeting"):
                p = [x for x in c.children if x.dep_ == "pobj"]
                if p and target is None:
                    target = p[0]
        if target is None and trig.dep_ == "pobj" and trig.head.head.lemma_.lower() in DEATH | INJURY:
            # "three civilians were killed in a car bombing": the victims are the target
            v = trig.head.head
            s_, voice = _subject(v)
            target = s_ if voice == "passive" or v.lemma_.lower() == "die" else None
        if actor is None and trig.dep_ in ("dobj", "attr") and trig.head.pos_ == "VERB":
            # "X launched/conducted/carried out an attack"
            s, voice = _subject(trig.head)
            if voice == "active" and trig.head.lemma_ not in REPORTING | STANCE_VERBS["condemned"]:
                actor = s
    return actor, _named_target(trig, target)


_NAMED = ("GPE", "ORG", "NORP", "PERSON")


def _has_name(tok) -> bool:
    return tok is not None and any(t.ent_type_ in _NAMED for t in _phrase(tok))


def _named_target(trig, target):
    """Prefer a named party to a thing: "shared evidence with the U.S." -> the U.S."""
    if target is None or _has_name(target):
        return target
    for holder in (trig, target):
        for c in holder.children:
            if c.dep_ == "prep" and c.lower_ in ("with", "to", "against", "for", "on", "into", "toward", "towards",
                                                 "from", "of", "by"):
                if holder is trig and c.lower_ in ("by", "of"):
                    continue
                for p in c.children:
                    if p.dep_ == "pobj" and _has_name(p):
                        return p
    return target


def _norm_actor(span, canon: dict[str, str]) -> str | None:
    """A participant phrase as a name: its entity (canonical), a country, or the phrase."""
    if span is None:
        return None
    ents = [e for e in span.ents if e.label_ in ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC")]
    head = span.root
    for e in ents:
        if e.start <= head.i < e.end:
            name = clean_name(e.text)
            if e.label_ in ("GPE", "NORP", "LOC"):
                return country_of(name) or canon.get(name, name)
            return canon.get(name, name)
    for e in ents:
        if e.root.head.i == head.i and e.root.dep_ in ("compound", "nmod", "appos", "flat"):
            name = clean_name(e.text)
            return country_of(name) or canon.get(name, name)
    text = span.text.strip()
    text = re.sub(r"^(?:a|an|the)\s+", "", text, flags=re.I)
    for e in ents:
        if e.label_ in ("GPE", "NORP") and text.lower() == e.text.lower():
            return country_of(clean_name(e.text)) or text
    return text or None


def _side(span, canon: dict[str, str]) -> tuple[str | None, str | None]:
    """(actor, speaker) for the subject phrase of a statement or reaction."""
    if span is None:
        return None, None
    ents = [e for e in span.ents if e.label_ in ("PERSON", "ORG", "GPE", "NORP")]
    speaker = None
    for e in ents:
        if e.label_ == "PERSON" and (e.start <= span.root.i < e.end or span.root.dep_ != "ROOT"):
            speaker = canon.get(clean_name(e.text), clean_name(e.text))
            break
    head = span.root
    head_ent = next((e for e in ents if e.start <= head.i < e.end), None)
    has_role = bool(_ROLE.search(span.text))
    countries = [country_of(clean_name(e.text)) for e in ents if e.label_ in ("GPE", "NORP")]
    countries = [c for c in countries if c]
    orgs = [canon.get(clean_name(e.text), clean_name(e.text)) for e in ents if e.label_ == "ORG"]
    if head_ent is not None and head_ent.label_ in ("ORG", "GPE", "NORP"):
        name = clean_name(head_ent.text)
        return country_of(name) or canon.get(name, name), speaker
    if head_ent is not None and head_ent.label_ == "PERSON":
        if has_role and countries:
            return countries[0], speaker
        return speaker, speaker
    # head is a common noun ("movement", "government", "spokesperson"): named compounds first
    for e in ents:
        if e.root.head.i == head.i and e.root.dep_ in ("compound", "appos", "nmod") and e.label_ in ("ORG", "PERSON"):
            name = clean_name(e.text)
            return canon.get(name, name), speaker
    if countries:
        return countries[0], speaker
    if orgs:
        return orgs[0], speaker
    if speaker:
        return speaker, speaker
    return None, None


def _count(tok) -> int | None:
    """How many people a victim noun phrase counts ("three soldiers" 3, "a commander" 1)."""
    if tok is None:
        return None
    for c in tok.children:
        if c.dep_ == "nummod" or (c.dep_ == "quantmod"):
            txt = c.text.lower().replace(",", "")
            if txt.isdigit():
                return int(txt)
            if txt in _NUMBERS:
                return _NUMBERS[txt]
    if tok.like_num:
        txt = tok.text.lower().replace(",", "")
        return int(txt) if txt.isdigit() else _NUMBERS.get(txt)
    if tok.tag_ in ("NN", "NNP") and tok.pos_ in ("NOUN", "PROPN"):
        if tok.lower_ in ("people", "civilians", "dozens", "scores", "hundreds"):
            return None
        return 1
    if tok.ent_type_ == "PERSON":
        return 1
    return None


def _victims(verb) -> list[Any]:
    lemma = verb.lemma_.lower()
    out = []
    if lemma in ("die",) or verb.lower_ in ("dead", "killed", "wounded", "injured") and verb.dep_ in ("acomp", "amod"):
        subj, _ = _subject(verb)
        if subj is not None:
            out.append(subj)
        elif verb.dep_ == "amod":
            out.append(verb.head)
    else:
        subj, voice = _subject(verb)
        if voice == "passive":
            out.append(subj)
        for c in verb.children:
            if c.dep_ == "dobj":
                out.append(c)
                out.extend(x for x in c.children if x.dep_ == "conj")
    return [v for v in out if v is not None and v.pos_ in ("NOUN", "PROPN", "NUM", "PRON") and v.lower_ not in ("it", "they")]


def _governing_trigger(verb, trig_tokens: dict[int, str]):
    """The event-trigger token a casualty verb belongs to, if any."""
    if verb.dep_ in ("relcl", "acl") and verb.head.i in trig_tokens:
        return verb.head
    subj, voice = _subject(verb)
    if subj is not None and voice == "active" and subj.i in trig_tokens:
        return subj
    for c in verb.children:
        if c.dep_ == "prep" and c.lower_ in ("in", "during", "after", "by", "from"):
            for p in c.children:
                if p.dep_ == "pobj" and p.i in trig_tokens:
                    return p
    agent = _agent(verb)
    if agent is not None and agent.i in trig_tokens:
        return agent
    h = verb
    for _ in range(4):
        if h.dep_ in ("advcl", "xcomp", "conj", "acl") and h.head.i in trig_tokens:
            return h.head
        if h.head.i == h.i:
            break
        h = h.head
    return None


def _attached(tok, targets: set[int]) -> bool:
    """Is ``tok`` attached to one of ``targets`` through prepositions (not inside a participant)?

    "strike ... on a vehicle in eastern Baghdad": Baghdad -pobj-> in -prep-> vehicle -pobj-> on -prep-> strike.
    """
    h = tok
    if h.dep_ not in ("pobj", "conj", "npadvmod"):
        return False
    if h.dep_ == "pobj" and h.head.lower_ in ("by", "from", "of", "with", "against"):
        return False  # "attacks by the US", "from Iraq": a participant or an origin, not the place
    for _ in range(10):
        if h.i in targets:
            return True
        if h.dep_ in ("dobj", "nsubjpass") and h.head.i in targets:
            return True  # "attacked a checkpoint near Kirkuk": the target's place is the event's
        if h.dep_ not in ("pobj", "prep", "conj", "npadvmod") or h.head.i == h.i:
            return False
        h = h.head
    return False


# ---------------------------------------------------------------- per text

def parse(text: str, starts: Iterable[int] = ()):
    """Parse ``text`` with the shared spaCy pipeline; sentences never cross a blank line or a line break.

    >>> [s.text.strip() for s in parse("Title line" + chr(10) + "Body one. Body two.").sents]  # doctest: +SKIP
    ['Title line', 'Body one.', 'Body two.']
    """
    from ..nlp import get_nlp

    nlp = get_nlp()
    doc = nlp.make_doc(text)
    starts = set(starts)
    for i, tok in enumerate(doc):
        if i > 0 and not tok.is_space and (
                "\n" in doc[i - 1].text or "\n" in doc[i - 1].whitespace_ or tok.idx in starts):
            tok.is_sent_start = True
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc


class _Analysis:
    """One article parsed once, with everything the event rules need."""

    def __init__(self, text: str, published: str | None, dateline: str | None, quotes=None, doc=None):
        self.text = text
        dl = find_dateline(text, published)
        if doc is None:  # the dateline ("Baghdad, February 8 (RHC)--") is not part of the first sentence
            body = len(text) - len(text[dl["span"][1]:].lstrip()) if dl else None
            doc = parse(text, [body] if body else ())
        self.doc = doc
        self.dateline = dl
        ref = (dl or {}).get("date") or published
        self.ref = to_date(ref).isoformat() if ref else None
        self.dateline_place = dateline or (dl or {}).get("place")
        self.rejected: list = []
        self.times = normalize_dates(text, self.ref, rejected=self.rejected) if self.ref else []
        if dl:  # the dateline's own date is the reference, not an event date
            self.times = [t for t in self.times if not (dl["span"][0] <= t.span[0] < dl["span"][1])]
        self.entities = extract_entities(text, self.doc)
        self.countries = countries_in(self.doc)
        self.places = extract_places(self.doc, self.countries)
        self.quotes = list(quotes or [])
        self.sents = list(self.doc.sents)


def _sent_of(an: _Analysis, i: int):
    for s in an.sents:
        if s.start <= i < s.end:
            return s
    return an.sents[-1]


def _src(an: _Analysis, sent, outlet=None, article_id=None) -> dict[str, Any]:
    return {"outlet": outlet, "article_id": article_id, "span": [sent.start_char, sent.end_char],
            "text": sent.text.strip()}


def analyze_sentence(sent, canon: dict[str, str] | None = None, an: _Analysis | None = None) -> dict[str, Any] | None:
    """Event type, trigger, actor, target (and place, date when ``an`` is given) of one parsed sentence.

    >>> d = analyze_sentence(next(get_nlp()("Albania denounced Serbia on Friday.").sents))  # doctest: +SKIP
    >>> d["type"], d["actor"], d["target"]  # doctest: +SKIP
    ('disapprove', 'Albania', 'Serbia')
    """
    canon = canon or {}
    t, trig = classify_sentence(sent)
    if t is None:
        return None
    a_tok, t_tok = _actor_target(trig)
    if trig.lemma_.lower() in ("die",) or (trig.lemma_.lower() in DEATH | INJURY and a_tok is not None
                                           and _subject(trig)[1] == "active" and trig.pos_ != "VERB"):
        a_tok, t_tok = None, a_tok  # "a commander died": the subject is the victim
    if t_tok is not None and t_tok.ent_type_ in ("DATE", "TIME"):
        t_tok = None
    out = {"type": t, "plover": plover_category(t), "trigger": trig.text,
           "trigger_span": [trig.idx, trig.idx + len(trig.text)],
           "actor": _norm_actor(_phrase(a_tok), canon) if a_tok is not None else None,
           "target": _norm_actor(_phrase(t_tok), canon) if t_tok is not None else None,
           "actor_text": _phrase(a_tok).text if a_tok is not None else None,
           "target_text": _phrase(t_tok).text if t_tok is not None else None,
           "sentence_span": [sent.start_char, sent.end_char]}
    places = []
    for e in sent.ents:
        if e.label_ in ("GPE", "LOC", "FAC") and _attached(e.root, {trig.i}):
            places.append(e.text)
    out["place_text"] = places[0] if places else None
    if an is not None:
        out.update(_details(an, sent, [trig], canon))
    return out


def _details(an: _Analysis, sent, trig_toks: list, canon: dict[str, str]) -> dict[str, Any]:
    """Place, date, casualties for trigger tokens of one sentence."""
    ids = {t.i for t in trig_toks}
    trig_map = {t.i: "x" for t in trig_toks}
    # casualty verbs and their linked clauses count as "the event" for places and dates
    linked = set(ids)
    fat = inj = None
    victims_fat = []
    for tok in sent:
        lem = tok.lemma_.lower()
        if lem in DEATH or tok.lower_ in ("killed", "dead") or lem in INJURY or tok.lower_ in ("wounded", "injured"):
            g = _governing_trigger(tok, trig_map) if tok.i not in ids else tok
            if g is None:
                continue
            linked.add(tok.i)
            for v in _victims(tok):
                n = _count(v)
                if n is None:
                    continue
                if lem in INJURY or tok.lower_ in ("wounded", "injured"):
                    inj = max(inj or 0, n)
                else:
                    fat = max(fat or 0, n)
                    victims_fat.append(v)
    place = None
    cands = []
    for p in an.places:
        s, e = p["span"]
        if not (sent.start_char <= s < sent.end_char):
            continue
        root = an.doc.char_span(s, e, alignment_mode="expand")
        if root is None:
            continue
        if _attached(root.root, linked):
            cands.append(p)
    if cands:
        rank = {"city": 0, "region": 1, "country": 2, None: 3}
        place = min(cands, key=lambda p: rank[p["place"].precision])
    date = None
    for te in an.times:
        s, e = te.span
        if not (sent.start_char <= s < sent.end_char) or te.granularity != "day":
            continue
        span = an.doc.char_span(s, e, alignment_mode="expand")
        head = span.root.head if span is not None else None
        if head is not None and head.lemma_.lower() in REPORTING and head.i not in linked:
            continue
        date = te
        break
    return {"place_mention": place, "date_expr": date, "fatalities": fat, "injured": inj,
            "victims": victims_fat, "linked": linked}


def _main_type(analyses: Sequence[_Analysis]) -> str | None:
    score: Counter = Counter()
    bare = 0.0
    for an in analyses:
        for k, sent in enumerate(an.sents):
            for t, tok in _triggers(sent):
                if tok.lemma_.lower() in DEATH or tok.lemma_.lower() in INJURY:
                    continue  # outcomes, not the kind of event
                pos_w = 1.0 / (1 + 0.3 * k)
                if t == "attack" and tok.lemma_.lower() == "strike":
                    bare += pos_w  # "the strike": goes to the specific kind of strike, if any
                elif EVENT_TYPES[t]["violent"] or t == "protest":
                    w = 0.5 if t in ("attack", "coerce") else 1.0  # generic words weigh less than specific ones
                    if tok.tag_ in ("NNS", "NNPS"):
                        w *= 0.5  # "frequent attacks": a series, rarely the event itself
                    score[t] += w * pos_w
    strikes = [t for t in ("air_strike", "shelling") if score[t] > 0]
    score[max(strikes, key=lambda t: score[t]) if strikes else "attack"] += bare
    if not score:
        for an in analyses:
            for k, sent in enumerate(an.sents):
                t, _ = classify_sentence(sent)
                if t and t != "statement":
                    score[t] += 1.0 / (1 + 0.15 * k)
    score = Counter({t: v for t, v in score.items() if v > 0})
    if not score:
        return None
    best = max(score.values())
    tops = [t for t, v in score.items() if v >= best * 0.999]
    return min(tops, key=lambda t: _PRIORITY.index(t) if t in _PRIORITY else 99)


_RELATED = {"air_strike": {"air_strike", "shelling", "bombing"}, "shelling": {"shelling", "air_strike"},
            "bombing": {"bombing"}}


def _victim_phrase(v, an: _Analysis, canon) -> str:
    span = _phrase(v)
    return re.sub(r"^(?:a|an|the)\s+", "", span.text.strip(), flags=re.I)


def _vehicle_note(an: _Analysis, trig_toks) -> str | None:
    """'in a vehicle used by X' when the strike was on a vehicle/building later said to belong to X."""
    for trig in trig_toks:
        for c in trig.children:
            if c.dep_ == "prep" and c.lower_ in ("on", "against"):
                for p in c.children:
                    if p.dep_ == "pobj" and p.pos_ == "NOUN":
                        noun = p.lemma_.lower()
                        for s in an.sents:
                            m = re.search(rf"\b(?:the|this|that)\s+{re.escape(noun)}\b[^.]{{0,40}}?\b(?:was|is)?\s*"
                                          r"(?:used|owned|operated|driven)\s+by\s+([^,.;]+)|"
                                          rf"\b{re.escape(noun)}\s+(?:belonged|belonging)\s+to\s+([^,.;]+)",
                                          s.text, re.I)
                            if m:
                                owner = (m.group(1) or m.group(2)).strip()
                                return f"in a {noun} used by {owner}"
    return None


def _reactions(an: _Analysis, canon, event_actor: str | None, outlet, article_id) -> list[dict[str, Any]]:
    out = []
    last_actor = last_person = None
    reporters = set()
    for e in an.doc.ents:
        if e.label_ == "PERSON":
            after = an.text[e.end_char:e.end_char + 20].lower()
            before = an.text[max(0, e.start_char - 40):e.start_char].lower()
            if after.startswith((", reporting", " reporting")) or "correspondent" in before or "reporter" in before:
                reporters.add(canon.get(clean_name(e.text), clean_name(e.text)))
    for sent in an.sents:
        found = None
        for tok in sent:
            if tok.pos_ not in ("VERB", "AUX"):
                continue
            lem = tok.lemma_.lower()
            stance = None
            for st, verbs in STANCE_VERBS.items():
                if lem in verbs:
                    stance = st
                    break
            if stance is None and lem not in REPORTING:
                continue
            subj, voice = _subject(tok)
            if subj is None or voice == "passive":
                continue
            content = " ".join(x.text for x in tok.subtree if x.i not in set(y.i for y in subj.subtree))
            quotes_here = [q for q in an.quotes if q.quote_span and sent.start_char <= q.quote_span[0] < sent.end_char]
            qtexts = [q.quote for q in quotes_here] or _quotes_in(sent.text)
            blob = content + " " + " ".join(qtexts)
            if stance in (None, "condemned", "supported") or lem in ("promise", "pledge", "vow", "warn"):
                if _CUES["threatened"].search(blob) and (stance is not None or lem in REPORTING):
                    stance = "threatened"
                elif stance is None:
                    for st in ("condemned", "justified"):
                        if _CUES[st].search(blob):
                            stance = st
                            break
            if lem in ("promise", "pledge") and stance == "threatened" and not _CUES["threatened"].search(blob):
                stance = None
            if stance is None:
                continue
            if subj.lower_ in ("he", "she"):
                actor, speaker = last_person if last_person else (None, None)
            elif subj.lower_ in ("it", "they"):
                actor, speaker = (last_actor, None)
            else:
                actor, speaker = _side(_phrase(subj), canon)
            if actor is None or actor in reporters or speaker in reporters:
                continue
            if stance == "justified" and event_actor and actor != event_actor:
                stance = "condemned" if _CUES["condemned"].search(blob) else None
                if stance is None:
                    continue
            found = (actor, speaker, stance, qtexts[0] if qtexts else None, sent)
            break
        # track recent actors for pronoun subjects
        for tok in sent:
            if tok.dep_ == "nsubj" and tok.head.lemma_.lower() in REPORTING | set().union(*STANCE_VERBS.values()):
                if tok.lower_ in ("he", "she", "it", "they"):
                    continue
                a, sp = _side(_phrase(tok), canon)
                if a:
                    last_actor = a
                    if sp:
                        last_person = (a, sp)
                break
        if found:
            actor, speaker, stance, q, s = found
            out.append({"actor": actor, "speaker": speaker, "stance": stance, "quote": q,
                        "source": _src(an, s, outlet, article_id)})
    return out


def _analyze_articles(articles: Sequence[dict[str, Any]]) -> tuple[list[_Analysis], dict[str, str]]:
    ans = [_Analysis(a.get("text") or "", a.get("published"), a.get("dateline"), a.get("quotes")) for a in articles]
    canon = canonicalize([an.entities for an in ans])
    return ans, canon


def _event_from(analyses: Sequence[_Analysis], metas: Sequence[dict[str, Any]], canon, story_id=None) -> Event:
    main = _main_type(analyses)
    ev = Event(story_id=story_id, type=main, actor=None, target=None, place=None, date=None,
               fatalities=None, injured=None)
    if main is None:
        return ev
    related = _RELATED.get(main, {main})
    votes: dict[str, Counter] = defaultdict(Counter)
    srcs: dict[str, list] = defaultdict(list)
    per_outlet_fat: dict[tuple, int] = {}
    per_outlet_inj: dict[tuple, int] = {}
    place_by_name: dict[str, Place] = {}
    target_votes: Counter = Counter()
    target_note = None
    for an, meta in zip(analyses, metas):
        outlet, aid = meta.get("outlet"), meta.get("article_id")
        fat = inj = None
        for sent in an.sents:
            trigs = [tok for t, tok in _triggers(sent)
                     if t in related or (tok.lemma_.lower() == "strike" and t == "attack" and main in _RELATED)]
            if not trigs:
                continue
            det = _details(an, sent, trigs, canon)
            src = _src(an, sent, outlet, aid)
            srcs["type"].append(src)
            for trig in trigs:
                a_tok, t_tok = _actor_target(trig)
                if a_tok is not None:
                    name = _norm_actor(_phrase(a_tok), canon)
                    if name and (country_code(name) or any(e.label_ in ("ORG", "GPE", "NORP", "PERSON")
                                                          for e in _phrase(a_tok).ents)):
                        votes["actor"][name] += 1
                        srcs["actor"].append(src)
            if det["victims"]:
                for v in det["victims"]:
                    ph = _victim_phrase(v, an, canon)
                    has_name = any(e.label_ in ("ORG", "PERSON", "NORP") for e in _phrase(v).ents)
                    target_votes[ph] += 2 if has_name else 1
                srcs["target"].append(src)
            if det["fatalities"] is not None:
                fat = max(fat or 0, det["fatalities"])
                srcs["fatalities"].append(src)
            if det["injured"] is not None:
                inj = max(inj or 0, det["injured"])
                srcs["injured"].append(src)
            pm = det["place_mention"]
            if pm is not None:
                pl = pm["place"]
                key = pl.name
                votes["place"][key] += 1 + (pl.precision == "city")
                if key not in place_by_name or (pl.qualifier and not place_by_name[key].qualifier):
                    place_by_name[key] = pl
                srcs["place"].append(src)
            if det["date_expr"] is not None:
                votes["date"][det["date_expr"].value] += 1
                srcs["date"].append(src)
            target_note = target_note or _vehicle_note(an, trigs)
        if fat is not None:
            per_outlet_fat[(outlet, aid)] = fat
        if inj is not None:
            per_outlet_inj[(outlet, aid)] = inj
    if votes["actor"]:
        ev.actor = votes["actor"].most_common(1)[0][0]
    if target_votes:
        ev.target = target_votes.most_common(1)[0][0]
        for k, v in canon.items():  # canonical names inside the target phrase
            if k != v and k in ev.target and v not in ev.target:
                ev.target = ev.target.replace(k, v)
        if target_note:
            ev.target = f"{ev.target} ({target_note})"
    if votes["place"]:
        ev.place = place_by_name[votes["place"].most_common(1)[0][0]]
    else:
        for an in analyses:
            if an.dateline_place:
                ev.place = resolve_place(an.dateline_place, an.countries)
                srcs["place"].append({"outlet": None, "article_id": None, "span": None, "text": "dateline"})
                break
    if votes["date"]:
        ev.date = votes["date"].most_common(1)[0][0]
    for fld, per in (("fatalities", per_outlet_fat), ("injured", per_outlet_inj)):
        if per:
            vals = set(per.values())
            setattr(ev, fld, min(vals))
            if len(vals) > 1:
                ev.claims[fld] = [{"outlet": o, "article_id": a, "value": v} for (o, a), v in per.items()]
    # reactions, merged by actor and stance
    merged: dict[tuple, dict] = {}
    for an, meta in zip(analyses, metas):
        for r in _reactions(an, canon, ev.actor, meta.get("outlet"), meta.get("article_id")):
            key = (r["actor"], r["stance"])
            m = merged.setdefault(key, {"actor": r["actor"], "stance": r["stance"], "quote": None, "speakers": [],
                                        "outlets": [], "article_ids": [], "sources": []})
            if r["quote"] and not m["quote"]:
                m["quote"] = r["quote"]
            if r["speaker"] and r["speaker"] not in m["speakers"]:
                m["speakers"].append(r["speaker"])
            if meta.get("outlet") not in m["outlets"]:
                m["outlets"].append(meta.get("outlet"))
            if meta.get("article_id") not in m["article_ids"]:
                m["article_ids"].append(meta.get("article_id"))
            m["sources"].append(r["source"])
    ev.reactions = list(merged.values())
    ev.sources = {k: v for k, v in srcs.items()}
    ev.sources["reactions"] = [s for r in ev.reactions for s in r["sources"]]
    return ev


def build_event(story_id: str | None, articles: Sequence[dict[str, Any]]) -> Event:
    """One event record for a story from its articles.

    ``articles``: dicts with ``article_id``, ``outlet``, ``text`` (clean), ``published``
    (ISO or None), ``dateline`` (place or None) and ``quotes`` (list of Quote, may be empty).

    >>> ev = build_event("s1", [{"article_id": "a1", "outlet": "X", "published": "2024-02-08", "dateline": None,
    ...     "quotes": [], "text": "A US drone strike killed a commander in eastern Baghdad on Wednesday."}])  # doctest: +SKIP
    >>> ev.type, ev.actor, ev.place.name, ev.place.qualifier, ev.date, ev.fatalities  # doctest: +SKIP
    ('air_strike', 'United States', 'Baghdad', 'eastern', '2024-02-07', 1)
    """
    analyses, canon = _analyze_articles(articles)
    return _event_from(analyses, articles, canon, story_id)


def extract_events(text: str, published: str | None = None, dateline: str | None = None,
                   quotes: Iterable[Quote] | None = None) -> list[dict[str, Any]]:
    """Event mentions of a single text, one per sentence that has an event trigger.

    Each dict has ``type`` (see ``EVENT_TYPES``), ``plover``, ``trigger``, ``actor``,
    ``target``, ``place`` (Place as dict or None), ``date`` (ISO or None), ``fatalities``,
    ``injured`` and ``sentence_span``. Reporting-only sentences ("he said") are left out.

    >>> [e["type"] for e in extract_events("Police arrested two men in Paris on Monday.", "2024-02-08")]  # doctest: +SKIP
    ['arrest']
    """
    an = _Analysis(text or "", published, dateline, quotes)
    canon = canonicalize([an.entities])
    out = []
    for sent in an.sents:
        d = analyze_sentence(sent, canon, an)
        if d is None or d["type"] == "statement":
            continue
        pm = d.pop("place_mention")
        te = d.pop("date_expr")
        d.pop("victims")
        d.pop("linked")
        d["place"] = asdict(pm["place"]) if pm else None
        d["date"] = te.value if te else None
        out.append(d)
    return out
