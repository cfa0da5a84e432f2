"""Known speakers: voice prints enrolled under a name. Without NATS they
are kept one JSON file each in the speakers folder (<folder>/<id>.json,
FolderSpeakers, this replica's own); with NATS in a key-value bucket that
every replica shares (shared_speakers.py). Ids are made here (32
lowercase hex characters, as the TTS references' ids); a client's id must
match that form exactly before it comes near a path or a key. Names are
what transcripts carry, so they are short, plain and unique, and never
look like the SPEAKER_nn labels of unknown voices. Both stores are async
(add, list, delete); the folder's file work runs in a worker thread."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optivus_common.errors import InvalidArgument, NotFound

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")


def check_id(raw: object) -> str:
    if not isinstance(raw, str) or not ID_PATTERN.fullmatch(raw):
        shown = raw[:40] + "..." if isinstance(raw, str) and len(raw) > 40 else raw
        raise InvalidArgument(f"invalid speaker id {shown!r}: ids are the 32 hex characters EnrollSpeaker returned",
                              reason="INVALID_SPEAKER_ID")
    return raw


def check_name(raw: str) -> str:
    name = raw.strip()
    if not NAME_PATTERN.fullmatch(name) or name.upper().startswith("SPEAKER_"):
        raise InvalidArgument("a speaker's name is 1 to 64 letters, digits, spaces and ._- (starting with a letter "
                              "or digit), and does not start with SPEAKER_", reason="INVALID_SPEAKER_NAME")
    return name


@dataclass(frozen=True)
class KnownSpeaker:
    speaker_id: str
    name: str
    duration_s: float
    encoder: str
    created: float  # Unix time
    vector: np.ndarray  # L2-normalised voice print

    def to_json(self) -> str:
        return json.dumps({"speaker_id": self.speaker_id, "name": self.name, "duration_s": self.duration_s,
                           "encoder": self.encoder, "created": self.created,
                           "vector": [round(float(x), 6) for x in self.vector]})

    @classmethod
    def from_json(cls, text: str) -> KnownSpeaker:
        data = json.loads(text)
        vector = np.asarray(data["vector"], np.float32)
        return cls(check_id(data["speaker_id"]), str(data["name"]), float(data["duration_s"]), str(data["encoder"]),
                   float(data["created"]), vector / max(float(np.linalg.norm(vector)), 1e-9))


def new_speaker(name: str, duration_s: float, encoder: str, vector: np.ndarray) -> KnownSpeaker:
    return KnownSpeaker(secrets.token_hex(16), name, round(duration_s, 3), encoder, time.time(),
                        vector / max(float(np.linalg.norm(vector)), 1e-9))


def too_many(limit: int) -> InvalidArgument:
    return InvalidArgument(f"{limit} speakers are enrolled already: delete one first",
                           reason="TOO_MANY_SPEAKERS", limit=limit)


def name_taken(name: str) -> InvalidArgument:
    return InvalidArgument(f"a speaker named {name!r} is enrolled already", reason="SPEAKER_NAME_TAKEN")


def not_found(speaker_id: str) -> NotFound:
    return NotFound(f"no speaker with id {speaker_id}", reason="SPEAKER_NOT_FOUND")


def by_age(speakers: list[KnownSpeaker]) -> list[KnownSpeaker]:
    return sorted(speakers, key=lambda s: (s.created, s.speaker_id))


class FolderSpeakers:
    """This replica's own folder of speakers (no NATS)."""

    def __init__(self, root: Path, limit: int) -> None:
        self.root = root
        self.limit = limit
        self._adding = asyncio.Lock()  # names are checked, then written

    async def add(self, name: str, duration_s: float, encoder: str, vector: np.ndarray) -> KnownSpeaker:
        """Saves a new speaker; the name must be new and the store not full."""
        async with self._adding:
            return await asyncio.to_thread(self._add, new_speaker(name, duration_s, encoder, vector))

    def _add(self, speaker: KnownSpeaker) -> KnownSpeaker:
        existing = self._list()
        if len(existing) >= self.limit:
            raise too_many(self.limit)
        if any(s.name.casefold() == speaker.name.casefold() for s in existing):
            raise name_taken(speaker.name)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".staging-{speaker.speaker_id}"
        staging.write_text(speaker.to_json())
        os.replace(staging, self._path(speaker.speaker_id))
        return speaker

    async def list(self) -> list[KnownSpeaker]:
        return await asyncio.to_thread(self._list)

    def _list(self) -> list[KnownSpeaker]:
        if not self.root.is_dir():
            return []
        speakers = []
        for path in self.root.iterdir():
            if not (path.suffix == ".json" and ID_PATTERN.fullmatch(path.stem)):
                continue
            try:
                speakers.append(KnownSpeaker.from_json(path.read_text()))
            except FileNotFoundError:  # deleted meanwhile
                continue
            except (ValueError, KeyError, TypeError, InvalidArgument):
                log.warning("unreadable speaker record", extra={"file": path.name})
        return by_age(speakers)

    async def delete(self, speaker_id: str) -> None:
        path = self._path(check_id(speaker_id))
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            raise not_found(speaker_id) from None

    def _path(self, speaker_id: str) -> Path:
        return self.root / f"{speaker_id}.json"


def folder_speakers(settings) -> FolderSpeakers:
    """The folder store of WhisperSettings (default: data_dir/speakers)."""
    return FolderSpeakers(settings.speakers_dir or Path(settings.data_dir) / "speakers", settings.max_known_speakers)
