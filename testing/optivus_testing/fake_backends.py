"""Fake gRPC backends for the gateway's fast tests (KServe's DummyModel
idea): real grpc.aio servers on loopback with the production bootstrap
(error interceptor, health, reflection), whose servicers answer from the
request alone. A path's file name says what to do:

    "*missing*"  NOT_FOUND (FILE_NOT_FOUND)
    "*secret*"   PERMISSION_DENIED (PATH_OUTSIDE_MEDIA_ROOTS)
    "*corrupt*"  INVALID_ARGUMENT (MEDIA_UNDECODABLE)
    "*loading*"  UNAVAILABLE (MODEL_NOT_LOADED)
    "*busy*"     RESOURCE_EXHAUSTED, retryable (SERVICE_BUSY)
    "*toolong*"  RESOURCE_EXHAUSTED (AUDIO_TOO_LONG)
    "*crash*"    an unexpected exception: INTERNAL
    "*slow*"     waits until the call is cancelled (recorded in `cancelled`)
    "*gated*"    (Transcribe, DescribeVideo, Synthesize) streams its first
                 item, then waits for `recorder.gate` before the rest (an
                 upload whose first word is "gated" too)
    anything else: a result made from the name

A path to a file that exists (an upload) gives its words from the file's
text instead of its name. The fake TTS keeps references in memory.

FakeVideoRag keeps the videos it was asked to index (ready at once) and
answers a question from the words of their file names.

Each fake records the requests it got, in order."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.duration_pb2 import Duration

from optivus.media.v1 import media_ref_pb2
from optivus.media.v1 import media_service_pb2 as media_pb
from optivus.media.v1 import media_service_pb2_grpc as media_grpc
from optivus.speech.v1 import speech_service_pb2 as speech_pb
from optivus.speech.v1 import speech_service_pb2_grpc as speech_grpc
from optivus.tts.v1 import tts_service_pb2 as tts_pb
from optivus.tts.v1 import tts_service_pb2_grpc as tts_grpc
from optivus.videorag.v1 import videorag_service_pb2 as rag_pb
from optivus.videorag.v1 import videorag_service_pb2_grpc as rag_grpc
from optivus.vision.v1 import vision_service_pb2 as vision_pb
from optivus.vision.v1 import vision_service_pb2_grpc as vision_grpc
from optivus_common import errors, registry
from optivus_common.server import Registration, RunningServer, start_server
from optivus_common.settings import CommonSettings
from optivus_common.statuses import status_of


def seconds(value: float) -> Duration:
    d = Duration()
    d.FromNanoseconds(round(value * 1e9))
    return d


@dataclass
class Recorder:
    requests: list = field(default_factory=list)
    cancelled: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)


async def pause_if_gated(name: str, recorder: Recorder, index: int) -> None:
    if "gated" in name and index == 0:
        try:
            await recorder.gate.wait()
        except asyncio.CancelledError:
            recorder.cancelled += 1
            raise


async def behave(name: str, recorder: Recorder) -> None:
    """Raises or waits as the name says (see the module docstring)."""
    if "missing" in name:
        raise errors.NotFound(f"file not found: {name!r}", reason="FILE_NOT_FOUND")
    if "secret" in name:
        raise errors.PermissionDenied(f"{name!r} is outside the media folders this server may read",
                                      reason="PATH_OUTSIDE_MEDIA_ROOTS")
    if "corrupt" in name:
        raise errors.InvalidArgument("the file is not audio or video that can be decoded",
                                     reason="MEDIA_UNDECODABLE")
    if "loading" in name:
        raise errors.Unavailable("the model is still loading", reason="MODEL_NOT_LOADED")
    if "busy" in name:
        raise errors.ResourceExhausted("every slot is taken", reason="SERVICE_BUSY", retryable=True)
    if "toolong" in name:
        raise errors.ResourceExhausted("the audio is 5 hours long", reason="AUDIO_TOO_LONG")
    if "crash" in name:
        raise ZeroDivisionError("a bug with a secret detail /etc/shadow")
    if "slow" in name:
        recorder.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            recorder.cancelled += 1
            raise


def words_of(name: str) -> list[str]:
    path = Path(name) if name.startswith("/") else None
    if path is not None and path.is_file():
        return path.read_bytes()[:4096].decode("utf-8", "replace").split() or ["empty"]
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return [w for w in stem.replace("-", "_").split("_") if w] or ["empty"]


def name_of(ref: media_ref_pb2.MediaRef) -> str:
    return ref.path or ref.blob_key


class FakeSpeech(speech_grpc.SpeechServiceServicer):
    """Transcribe: one segment per word of the file name, 1 s each (with
    that one word's timing when word_timestamps is asked); the language is
    the one asked for (probability 1) or "en" (0.875, as if detected). With
    diarize, segment i (and its word) is SPEAKER_00 or SPEAKER_01 by turns.
    Known speakers: enrolled (2.5 s each; a name is taken once, casefolded),
    listed oldest first, deleted."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.speakers: dict[str, speech_pb.KnownSpeaker] = {}

    async def EnrollSpeaker(self, request, context):
        self.recorder.requests.append(request)
        await behave(name_of(request.audio), self.recorder)
        if any(s.name.casefold() == request.name.casefold() for s in self.speakers.values()):
            raise errors.InvalidArgument(f"a speaker named {request.name!r} is enrolled already",
                                         reason="SPEAKER_NAME_TAKEN")
        speaker = speech_pb.KnownSpeaker(speaker_id=secrets.token_hex(16), name=request.name,
                                         duration=seconds(2.5), encoder="fake")
        self.speakers[speaker.speaker_id] = speaker
        return speech_pb.EnrollSpeakerResponse(speaker=speaker)

    async def ListSpeakers(self, request, context):
        self.recorder.requests.append(request)
        return speech_pb.ListSpeakersResponse(speakers=list(self.speakers.values()))

    async def DeleteSpeaker(self, request, context):
        self.recorder.requests.append(request)
        if self.speakers.pop(request.speaker_id, None) is None:
            raise errors.NotFound(f"no speaker {request.speaker_id!r}", reason="SPEAKER_NOT_FOUND")
        return speech_pb.DeleteSpeakerResponse()

    async def Transcribe(self, request, context):
        self.recorder.requests.append(request)
        name = name_of(request.audio)
        await behave(name, self.recorder)
        words = words_of(name)
        for i, word in enumerate(words):
            speaker = f"SPEAKER_{i % 2:02d}" if request.config.diarize else ""
            segment = speech_pb.Segment(index=i, start=seconds(i), end=seconds(i + 1), text=word, speaker=speaker)
            if request.config.word_timestamps:
                segment.words.append(speech_pb.Word(start=seconds(i), end=seconds(i + 0.5), word=word,
                                                    probability=0.5, speaker=speaker))
            yield speech_pb.TranscribeResponse(segment=segment)
            await pause_if_gated(f"{name} {words[0]}", self.recorder, i)
        formatted = "\n".join(words) if request.config.output_format else ""
        yield speech_pb.TranscribeResponse(result=speech_pb.TranscriptionResult(
            language_code=request.config.language_code or "en",
            language_probability=1.0 if request.config.language_code else 0.875,
            duration=seconds(len(words)), text=" ".join(words), segment_count=len(words),
            output_format=request.config.output_format, formatted=formatted, model="fake",
            speakers=[f"SPEAKER_{i:02d}" for i in range(min(2, len(words)))] if request.config.diarize else []))


class FakeVision(vision_grpc.VisionServiceServicer):
    """DescribeImage: a caption from the name (refused when the name says
    "video"); DescribeVideo: one scene per word (refused when it says "image")."""

    def __init__(self) -> None:
        self.recorder = Recorder()

    async def DescribeImage(self, request, context):
        self.recorder.requests.append(request)
        name = name_of(request.image)
        await behave(name, self.recorder)
        if "video" in name:
            raise errors.InvalidArgument("not an image", reason="IMAGE_UNDECODABLE")
        return vision_pb.DescribeImageResponse(result=vision_pb.VisionResult(
            task=request.task or vision_pb.VISION_TASK_MORE_DETAILED_CAPTION,
            engine=vision_pb.VISION_ENGINE_FLORENCE2, text=" ".join(words_of(name)), image_width=4, image_height=3))

    async def DescribeVideo(self, request, context):
        self.recorder.requests.append(request)
        name = name_of(request.video)
        await behave(name, self.recorder)
        if "image" in name:
            raise errors.InvalidArgument("not a video", reason="MEDIA_UNDECODABLE")
        words = words_of(name)
        for i, word in enumerate(words):
            yield vision_pb.DescribeVideoResponse(scene=vision_pb.Scene(
                index=i, start=seconds(2 * i), end=seconds(2 * i + 2), text=word,
                ocr_text=word.upper() if request.include_ocr else ""))
            await pause_if_gated(name, self.recorder, i)
        yield vision_pb.DescribeVideoResponse(summary=vision_pb.VideoSummary(
            duration=seconds(2 * len(words)), scene_count=len(words),
            task=request.task or vision_pb.VISION_TASK_MORE_DETAILED_CAPTION,
            engine=vision_pb.VISION_ENGINE_FLORENCE2))


class FakeTts(tts_grpc.TtsServiceServicer):
    """Synthesize: 0.1 s of PCM16 per word of the text, at 16 kHz, each
    word's samples all equal to its index + 1 (so order shows). References
    live in `references` (id -> Reference)."""

    RATE = 16000

    def __init__(self, store_dir: str = "/data/fs_audio") -> None:
        self.recorder = Recorder()
        self.store_dir = store_dir
        self.references: dict[str, tts_pb.Reference] = {}

    async def AddReference(self, request, context):
        self.recorder.requests.append(request)
        await behave(request.reference.text, self.recorder)
        ref = tts_pb.Reference(reference_id=secrets.token_hex(16), display_name=request.display_name,
                               text=request.reference.text, duration=seconds(1.5))
        ref.create_time.GetCurrentTime()
        self.references[ref.reference_id] = ref
        return tts_pb.AddReferenceResponse(reference=ref)

    async def ListReferences(self, request, context):
        self.recorder.requests.append(request)
        return tts_pb.ListReferencesResponse(references=list(self.references.values()))

    async def DeleteReference(self, request, context):
        self.recorder.requests.append(request)
        if self.references.pop(request.reference_id, None) is None:
            raise errors.NotFound(f"no reference {request.reference_id!r}", reason="REFERENCE_NOT_FOUND")
        return tts_pb.DeleteReferenceResponse()

    async def Synthesize(self, request, context):
        self.recorder.requests.append(request)
        await behave(request.text, self.recorder)
        words = request.text.split()
        yield tts_pb.SynthesizeResponse(header=tts_pb.SynthesisHeader(
            sample_rate_hertz=self.RATE, channels=1, format=tts_pb.AUDIO_FORMAT_PCM_S16LE,
            engine=tts_pb.TTS_ENGINE_PIPER, model="piper:fake"))
        for i, _ in enumerate(words):
            sample = (i + 1).to_bytes(2, "little", signed=True)
            yield tts_pb.SynthesizeResponse(chunk=tts_pb.AudioChunk(data=sample * (self.RATE // 10),
                                                                    sentence_index=i))
            await pause_if_gated(request.text, self.recorder, i)
        summary = tts_pb.SynthesisSummary(audio_duration=seconds(0.1 * len(words)), sentence_count=len(words))
        if request.store:
            summary.stored.CopyFrom(media_ref_pb2.MediaRef(path=f"{self.store_dir}/fake.wav"))
        yield tts_pb.SynthesizeResponse(summary=summary)


class FakeMedia(media_grpc.MediaServiceServicer):
    """GetInfo/Download: metadata from the URL; "*fail*" URLs get a per-URL
    error. GetCapabilities: a fixed answer."""

    def __init__(self) -> None:
        self.recorder = Recorder()

    def _info(self, url: str) -> media_pb.MediaInfo:
        return media_pb.MediaInfo(webpage_url=url, extractor="fake", id=words_of(url)[-1],
                                  fulltitle=" ".join(words_of(url)), duration=seconds(3))

    async def GetInfo(self, request, context):
        self.recorder.requests.append(request)
        for i, source in enumerate(request.sources):
            await behave(source.url, self.recorder)
            if "fail" in source.url:
                yield media_pb.GetInfoResponse(source_index=i, url=source.url, error=status_of(
                    errors.NotFound("the server answered HTTP 404", reason="MEDIA_NOT_FOUND"), "media.optivus"))
            else:
                yield media_pb.GetInfoResponse(source_index=i, url=source.url, info=self._info(source.url))

    async def Download(self, request, context):
        self.recorder.requests.append(request)
        for i, source in enumerate(request.sources):
            await behave(source.url, self.recorder)
            yield media_pb.DownloadResponse(source_index=i, url=source.url, progress=media_pb.DownloadProgress(
                downloaded_bytes=50, total_bytes=100, bytes_per_second=10.0))
            if "fail" in source.url:
                yield media_pb.DownloadResponse(source_index=i, url=source.url, error=status_of(
                    errors.NotFound("the server answered HTTP 404", reason="MEDIA_NOT_FOUND"), "media.optivus"))
            else:
                path = f"/data/videos/{words_of(source.url)[-1]}.mp4"
                yield media_pb.DownloadResponse(source_index=i, url=source.url, file=media_pb.DownloadedFile(
                    media=media_ref_pb2.MediaRef(path=path), size_bytes=100, info=self._info(source.url), path=path))

    async def GetCapabilities(self, request, context):
        return media_pb.GetCapabilitiesResponse(
            yt_dlp_version="2099.01.01", ejs_version="0.8.0", pot_provider_set=True,
            js_runtimes=[media_pb.JsRuntime(name="deno", version="2.9.8", supported=True)])


class FakeVideoRag(rag_grpc.VideoRagServiceServicer):
    """Every indexed video is ready at once with one clip per word of its
    file name (10 s each); a question retrieves the clips whose word it
    contains and answers "<word> [1]"."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.videos: dict[str, rag_pb.Video] = {}

    def _row(self, video_id: str) -> rag_pb.Video:
        if video_id not in self.videos:
            raise errors.NotFound(f"no video with id {video_id}", reason="VIDEO_NOT_FOUND")
        return self.videos[video_id]

    async def IndexVideo(self, request, context):
        self.recorder.requests.append(request)
        name = request.video.path or request.video.url
        await behave(name, self.recorder)
        library = request.collection or "default"
        video_id = hashlib.md5(f"{library}/{name}".encode()).hexdigest()
        existing = video_id in self.videos
        self.videos[video_id] = rag_pb.Video(
            video_id=video_id, collection=library, title=request.title or name.rsplit("/", 1)[-1],
            state=rag_pb.INDEX_STATE_READY, clip_count=len(words_of(name)), job_id="f" * 32,
            duration=seconds(10 * len(words_of(name))))
        return rag_pb.IndexVideoResponse(video_id=video_id, job_id="f" * 32, existing=existing)

    async def GetVideo(self, request, context):
        return rag_pb.GetVideoResponse(video=self._row(request.video_id))

    async def ListVideos(self, request, context):
        library = request.collection or "default"
        found = [v for v in self.videos.values() if v.collection == library]
        if not found:
            raise errors.NotFound(f"there is no library {library!r}", reason="COLLECTION_NOT_FOUND")
        return rag_pb.ListVideosResponse(videos=found)

    async def DeleteVideo(self, request, context):
        self._row(request.video_id)
        del self.videos[request.video_id]
        return rag_pb.DeleteVideoResponse(removed_rows=3)

    async def ListCollections(self, request, context):
        counts: dict[str, int] = {}
        for v in self.videos.values():
            counts[v.collection] = counts.get(v.collection, 0) + 1
        return rag_pb.ListCollectionsResponse(collections=[rag_pb.Collection(name=n, video_count=c)
                                                           for n, c in sorted(counts.items())])

    async def QueryVideos(self, request, context):
        self.recorder.requests.append(request)
        await behave(request.question, self.recorder)
        if not request.question.strip():
            raise errors.InvalidArgument("the question is empty", reason="EMPTY_QUESTION")
        library = request.collection or "default"
        if not any(v.collection == library for v in self.videos.values()):
            raise errors.NotFound(f"there is no library {library!r}", reason="COLLECTION_NOT_FOUND")
        asked = set(request.question.lower().replace("?", " ").split())
        hits = []
        for v in self.videos.values():
            if v.collection != library or (request.video_ids and v.video_id not in request.video_ids):
                continue
            for i, word in enumerate(words_of(v.title)):
                if word.lower() in asked:
                    hits.append(rag_pb.Citation(video_id=v.video_id, title=v.title, start=seconds(10 * i),
                                                end=seconds(10 * i + 10), text=word, score=1.0, sources=["dense"]))
        for hit in hits:
            yield rag_pb.QueryVideosResponse(retrieved=hit)
        if hits:
            yield rag_pb.QueryVideosResponse(answer_delta=hits[0].text)
            yield rag_pb.QueryVideosResponse(answer_delta=" [1]")
            first = rag_pb.Citation()
            first.CopyFrom(hits[0])
            first.number = 1
            yield rag_pb.QueryVideosResponse(citations=rag_pb.CitationList(citations=[first]))
        else:
            yield rag_pb.QueryVideosResponse(answer_delta="Nothing in this library answers that question.")
            yield rag_pb.QueryVideosResponse(citations=rag_pb.CitationList())


FAKES = {"whisper": (FakeSpeech, speech_grpc.add_SpeechServiceServicer_to_server),
         "florence": (FakeVision, vision_grpc.add_VisionServiceServicer_to_server),
         "fish": (FakeTts, tts_grpc.add_TtsServiceServicer_to_server),
         "dlp": (FakeMedia, media_grpc.add_MediaServiceServicer_to_server),
         "videorag": (FakeVideoRag, rag_grpc.add_VideoRagServiceServicer_to_server)}


@dataclass
class FakeBackends:
    servicers: dict[str, object]
    servers: dict[str, RunningServer]

    @property
    def addresses(self) -> dict[str, str]:
        return {name: f"127.0.0.1:{server.port}" for name, server in self.servers.items()}


@contextlib.asynccontextmanager
async def fake_backends(names=tuple(FAKES)) -> AsyncIterator[FakeBackends]:
    servicers, servers = {}, {}
    try:
        for name in names:
            make, add = FAKES[name]
            spec = registry.service(name)
            servicers[name] = make()
            servers[name] = await start_server(CommonSettings(), [Registration(add, servicers[name], spec.grpc_service)],
                                               domain=spec.domain, address="127.0.0.1:0")
            await servers[name].set_serving(True)
        yield FakeBackends(servicers, servers)
    finally:
        for server in servers.values():
            await server.stop(None)
