"""Entities and relations of a chunk of text, without a model: noun
phrases (runs of words between stop words, verbs and punctuation) are
the entities, and two entities in the same sentence are related. The
same phrase anywhere (another chunk, another video) has the same key,
which is how the graph merges them."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .chunks import sentences

MAX_ENTITIES_PER_CHUNK = 12
MAX_RELATIONS_PER_CHUNK = 24
MAX_PHRASE_WORDS = 4
MAX_KEY_CHARS = 120

# Function words, and verbs and adverbs common in speech, that end a phrase.
STOP_WORDS = frozenset("""
a about above across after again against all almost along already also although always am among an and another
any anyone anything are around as at away back be became because become becomes been before being below
between both but by can cannot could did do does doing done down during each either else enough even ever
every few first for from further get gets getting give given gives go goes going gone good got had has have
having he her here hers herself him himself his how however i if in instead into is it its itself just keep
know known last least less let like lot lots made make makes making many may me might more most much must my
myself near need needs never new next no nor not now of off often on once one only onto or other others our
ours ourselves out over own part per perhaps put quite rather really right said same say says see seen seem
seems she should show shows shown since so some something sometimes still such take takes taken than that
the their theirs them themselves then there these they thing things think this those though through thus to
today together too took toward towards under until up upon us use used uses using very via want was way we
well went were what whatever when where whether which while who whom whose why will with within without
would yes yet you your yours yourself yourselves call called calls come comes came find found help helps
let's lets look looks looked mean means meant called named name names begin begins began start starts started
end ends ended turn turns turned happen happens happened tell tells told talk talks talked work works worked
produce produces produced create creates created allow allows allowed include includes included including
become becomes became remain remains remained contain contains contained consist consists consisted
describe describes described explain explains explained lead leads led move moves moved form forms formed
cause causes caused change changes changed build builds built set sets keep kept hold holds held bring
brings brought carry carries carried reach reaches reached play plays played run runs ran live lives lived
grow grows grew stand stands stood hear hears heard learn learns learned try tries tried ask asks asked
seen saw think thought feel feels felt leave leaves left provide provides provided let's we'll we're
i'm it's that's there's here's don't doesn't didn't isn't aren't wasn't weren't can't won't okay ok so
lost won wrote spoke fought knew began grew rose fell gave went saw
slide lecture today's welcome hello video clip minute minutes second seconds
""".split())

_KEY_CHARS = re.compile(r"[^\w'\- ]+")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*|\d+(?:[.,]\d+)*|[^\sA-Za-z0-9]")


@dataclass(frozen=True)
class Entity:
    key: str
    name: str
    # How often the chunk mentions it.
    count: int = 1
    description: str = ""


@dataclass(frozen=True)
class Relation:
    source: str
    target: str
    # Where the two meet (a sentence of the chunk).
    description: str
    weight: float = 1.0


def entity_key(name: str) -> str:
    """The key an entity merges under: lower case, possessives and a
    plural ending dropped, single spaces."""
    # Only letters, digits, "'" and "-" survive: keys go into Milvus filter expressions.
    words = [w.strip("'-") for w in _KEY_CHARS.sub(" ", name.lower().replace("'s ", " ")).split()]
    words = [w for w in words if w]
    if not words:
        return ""
    last = words[-1]
    if last.endswith("'s"):
        last = last[:-2]
    if len(last) > 4 and last.endswith("ies"):
        last = last[:-3] + "y"
    elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "ous")):
        last = last[:-1]
    words[-1] = last
    return " ".join(words)[:MAX_KEY_CHARS]


def _stop(word: str) -> bool:
    lower = word.lower()
    return lower in STOP_WORDS or (lower.endswith("ly") and len(lower) > 4)


def _breaks(previous: str, word: str) -> bool:
    """Where a run of words splits without a stop word: before a past
    tense ("crowned"), and where a name gives way to lower case
    ("Napoleon rules")."""
    lower = word.lower()
    past = lower.endswith("ed") and len(lower) > 4
    return past or (previous[:1].isupper() and word[:1].islower() and lower.endswith("s"))


def phrases(sentence: str) -> list[str]:
    """Candidate noun phrases of one sentence, in order: each run of words
    between stop words and punctuation (its last MAX_PHRASE_WORDS), and
    the run's last word (its head) when the run is longer than one word."""
    out: list[str] = []
    run: list[str] = []

    def close() -> None:
        while run and _stop(run[-1]):
            run.pop()
        if run:
            words = run[-MAX_PHRASE_WORDS:]
            if len(words) > 1 or _keepable(words[0]):
                out.append(" ".join(words))
            if len(words) > 1 and _keepable(words[-1]):
                out.append(words[-1])
        run.clear()

    for token in _TOKEN.findall(sentence):
        if not (token[0].isalnum()) or _stop(token):
            close()
            continue
        if run and _breaks(run[-1], token):
            close()
            if token.lower().endswith("ed"):
                continue
        run.append(token)
    close()
    return out


def _keepable(word: str) -> bool:
    """A single word stands as an entity when it is long enough to mean
    something, or a year-like number."""
    if word.isdigit():
        return len(word) == 4
    return len(word) >= 4 or word.isupper() and len(word) >= 2


def extract(text: str) -> tuple[list[Entity], list[Relation]]:
    """The chunk's entities (most mentioned first) and the relations between
    entities that share a sentence."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    per_sentence: list[tuple[str, list[str]]] = []
    for sentence in sentences(text):
        keys = []
        for phrase in phrases(sentence):
            key = entity_key(phrase)
            if not key:
                continue
            counts[key] += 1
            names.setdefault(key, phrase)
            if key not in keys:
                keys.append(key)
        per_sentence.append((sentence, keys))
    # Longer phrases first among equals: "calvin cycle" over "cycle".
    ranked = sorted(counts, key=lambda k: (-counts[k], -len(k.split()), k))[:MAX_ENTITIES_PER_CHUNK]
    kept = set(ranked)
    entities = [Entity(k, names[k], counts[k]) for k in ranked]
    pairs: dict[tuple[str, str], Relation] = {}
    for sentence, keys in per_sentence:
        present = [k for k in keys if k in kept]
        for i, a in enumerate(present):
            for b in present[i + 1:]:
                pair = (min(a, b), max(a, b))
                if pair in pairs:
                    old = pairs[pair]
                    pairs[pair] = Relation(old.source, old.target, old.description, old.weight + 1)
                else:
                    pairs[pair] = Relation(pair[0], pair[1], sentence[:500])
    relations = sorted(pairs.values(), key=lambda r: (-r.weight, r.source, r.target))[:MAX_RELATIONS_PER_CHUNK]
    return entities, relations
