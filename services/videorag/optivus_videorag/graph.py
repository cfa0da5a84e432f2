"""A video's part of the knowledge graph: the entities and relations of
its chunks (from the deterministic extractor, or an LLM when configured),
merged per video under their keys. Across videos they merge at query time
by the same keys, so deleting a video removes exactly its part."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import entities as deterministic
from .chunks import Chunk
from .entities import Entity, Relation, entity_key

log = logging.getLogger(__name__)

MAX_CHUNK_IDS = 48
MAX_ENTITIES_PER_VIDEO = 5000
MAX_RELATIONS_PER_VIDEO = 10000

Extractor = Callable[[str], tuple[list[Entity], list[Relation]]]


@dataclass
class VideoEntity:
    key: str
    name: str
    mentions: int = 0
    chunk_ids: list[str] = field(default_factory=list)


@dataclass
class VideoRelation:
    source: str
    target: str
    description: str
    weight: float = 0.0
    chunk_ids: list[str] = field(default_factory=list)


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def build(chunks: list[Chunk], extract: Extractor) -> tuple[list[VideoEntity], list[VideoRelation]]:
    found: dict[str, VideoEntity] = {}
    linked: dict[tuple[str, str], VideoRelation] = {}
    for chunk in chunks:
        ents, rels = extract(chunk.text)
        for e in ents:
            entry = found.setdefault(e.key, VideoEntity(e.key, e.name))
            entry.mentions += e.count
            if len(entry.chunk_ids) < MAX_CHUNK_IDS and chunk.chunk_id not in entry.chunk_ids:
                entry.chunk_ids.append(chunk.chunk_id)
        for r in rels:
            pair = (r.source, r.target)
            entry = linked.setdefault(pair, VideoRelation(r.source, r.target, r.description))
            entry.weight += r.weight
            if len(entry.chunk_ids) < MAX_CHUNK_IDS and chunk.chunk_id not in entry.chunk_ids:
                entry.chunk_ids.append(chunk.chunk_id)
    ents = sorted(found.values(), key=lambda e: -e.mentions)[:MAX_ENTITIES_PER_VIDEO]
    rels = sorted(linked.values(), key=lambda r: -r.weight)[:MAX_RELATIONS_PER_VIDEO]
    return ents, rels


EXTRACT_SYSTEM = ("You extract a knowledge graph from text. Answer with JSON only: "
                  '{"entities": [{"name": "..."}], "relations": [{"source": "...", "target": "...", '
                  '"description": "..."}]}. Entities are people, places, things, concepts and events named in '
                  "the text; a relation links two of them and says how.")


def llm_extractor(llm, max_new_tokens: int = 384) -> Extractor:
    """Entities and relations from the LLM; the deterministic extractor
    where its answer is not the JSON asked for."""
    from .llm import complete

    def extract(text: str) -> tuple[list[Entity], list[Relation]]:
        try:
            answer = complete(llm, EXTRACT_SYSTEM, text[:4000], max_new_tokens=max_new_tokens)
            parsed = parse_graph(answer)
        except Exception as exc:  # noqa: BLE001 - the deterministic extractor always works
            log.warning("LLM extraction failed; using the deterministic extractor", extra={"error": str(exc)})
            parsed = None
        return parsed if parsed and parsed[0] else deterministic.extract(text)

    return extract


def parse_graph(answer: str) -> tuple[list[Entity], list[Relation]] | None:
    match = re.search(r"\{.*\}", answer, re.S)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    ents: dict[str, Entity] = {}
    for item in data.get("entities") or []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and (key := entity_key(name)):
            ents.setdefault(key, Entity(key, name.strip()[:200]))
    rels = []
    for item in data.get("relations") or []:
        if not isinstance(item, dict):
            continue
        a, b = entity_key(str(item.get("source", ""))), entity_key(str(item.get("target", "")))
        if a and b and a != b:
            for key, raw in ((a, item["source"]), (b, item["target"])):
                ents.setdefault(key, Entity(key, str(raw).strip()[:200]))
            rels.append(Relation(min(a, b), max(a, b), str(item.get("description", ""))[:500]))
    return list(ents.values())[:deterministic.MAX_ENTITIES_PER_CHUNK * 2], rels[:deterministic.MAX_RELATIONS_PER_CHUNK]
