"""Whisper at the speed of the hardware (issue #13): ratios measured in one run.

  (1) one ~90 s file through the service (default settings: batched) against
      bare faster-whisper's default transcribe() in this process, same model,
      beam 5 and CPU threads; goal: time ratio <= 0.6, WER within 1 point;
  (2) eight ~60 s files through the socket.io gateway, all at once against
      one after another; goal: wall-time ratio <= 0.5;
  (3) the whisper process's peak RSS while it transcribes a long file (60 min
      by default), above its idle RSS; goal: <= 300 MB;
  then where the time of a batched transcription goes (in this process).

Speech is Piper's (the packaged voice) reading fixed English text, so WER is
measured against the text read. Run: .venv/bin/python bench/whisper_speed.py
[--model base] [--runs 3] [--long-minutes 60] [--parts 1,2,3,4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path

import grpc
import numpy as np

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_cli import processes
from optivus_common.registry import WHISPER
from optivus_testing.processes import free_port, running_gateway, stop_process, wait_for_health
from optivus_testing.sockets import timed_whisp
from optivus_testing.speech import piper_voice, word_error_rate
from optivus_whisper.model_files import resolve_model

ROOT = Path(__file__).resolve().parent.parent
TEXT = (
    "The river town woke slowly on market days. Farmers drove their carts across the old stone bridge before "
    "sunrise, and the bakers opened their doors to let the smell of fresh bread into the square. By eight o'clock "
    "the stalls were full of apples, cheese, honey and wool. Children ran between the tables while their parents "
    "argued about prices. At noon the church bell rang twelve times, and everyone stopped to eat. "
    "To repair a bicycle tyre, first remove the wheel from the frame and let out any air that is left in the tube. "
    "Use two levers to lift one side of the tyre over the rim, then pull the tube out carefully. Pump a little air "
    "into the tube and listen for the hiss, or hold it under water and watch for bubbles. Mark the hole with chalk, "
    "roughen the rubber around it with sandpaper, and spread a thin layer of glue. "
    "Our solar system formed about four and a half billion years ago from a cloud of gas and dust. Most of the "
    "material fell into the centre and became the sun, while the rest spread out into a flat, spinning disk. Over "
    "millions of years, small grains stuck together and grew into rocks, then into planets. The inner planets are "
    "small and rocky because only metals and stone could survive the heat near the young star. "
    "Good morning, and welcome to the weekly team meeting. We have three items on the agenda today. First, the new "
    "office opens on the fifteenth of next month, so please pack your desks by Friday and label every box with "
    "your name. Second, the customer survey results are in: most people like the faster delivery, but many asked "
    "for clearer instructions in the manual. Remember that the holiday schedule must be approved by the end of "
    "this week."
)
RATE = 16000
PAUSE = np.zeros(int(0.3 * RATE), np.int16)


def sentences() -> list[str]:
    return re.findall(r"[^.?!]+[.?!]", TEXT)


def speak_all(folder: Path) -> list[tuple[np.ndarray, str]]:
    """Each sentence spoken once, as 16 kHz int16 samples."""
    voice = piper_voice()
    spoken = []
    for i, sentence in enumerate(sentences()):
        raw = folder / f"s{i}.wav"
        with wave.open(str(raw), "wb") as out:
            voice.synthesize_wav(sentence.strip(), out)
        pcm = folder / f"s{i}.pcm"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(raw), "-ar", str(RATE), "-ac", "1", "-f",
                        "s16le", str(pcm)], check=True)
        spoken.append((np.fromfile(pcm, np.int16), sentence.strip()))
    return spoken


def clip(spoken, start: int, seconds: float, path: Path) -> tuple[Path, str]:
    """Sentences from `start` on (wrapping) until the clip is `seconds` long."""
    parts, texts, n, i = [], [], 0, start
    while n < seconds * RATE:
        audio, text = spoken[i % len(spoken)]
        parts += [audio, PAUSE]
        texts.append(text)
        n += audio.size + PAUSE.size
        i += 1
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.concatenate(parts).tobytes())
    return path, " ".join(texts)


def long_file(clip_path: Path, minutes: int, folder: Path) -> Path:
    mp3 = folder / "clip.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(clip_path), "-c:a", "libmp3lame", "-b:a", "48k",
                    str(mp3)], check=True)
    out = folder / f"long{minutes}.mp3"
    seconds = wave.open(str(clip_path)).getnframes() / RATE
    loops = int(np.ceil(minutes * 60 / seconds))
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", str(loops - 1), "-i", str(mp3), "-t",
                    str(minutes * 60), "-c", "copy", str(out)], check=True)
    return out


async def via_grpc(address: str, path: Path, decoding: int = pb.DECODING_UNSPECIFIED):
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.SpeechServiceStub(channel)
        started = time.perf_counter()
        request = pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(path=str(path)),
                                       config=pb.RecognitionConfig(beam_size=5, decoding=decoding))
        async for response in stub.Transcribe(request, timeout=7200):
            if response.HasField("result"):
                return time.perf_counter() - started, response.result


def via_gateway(url: str, path: Path) -> float:
    return timed_whisp(url, path, 3600)


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def load_bare(model_name: str, cache: Path, cores: int, warm: Path):
    from faster_whisper import WhisperModel

    model = WhisperModel(resolve_model(model_name, cache), device="cpu", compute_type="int8", cpu_threads=cores)
    list(model.transcribe(str(warm), beam_size=5)[0])  # warm-up
    return model


def bare_transcribe(model, clip90: Path) -> tuple[float, str]:
    started = time.perf_counter()
    segments, _ = model.transcribe(str(clip90), beam_size=5)
    text = " ".join(s.text for s in segments)
    return time.perf_counter() - started, text


def one_file(model, address: str, clip90: Path, text90: str, runs: int) -> None:
    """Interleaved runs, so that the load of a shared machine hits every path alike."""
    times: dict[str, list[float]] = {"bare": [], "service": [], "sequential": []}
    texts: dict[str, str] = {}
    for _ in range(runs):
        times["bare"].append((run := bare_transcribe(model, clip90))[0])
        texts["bare"] = run[1]
        for name, decoding in (("service", pb.DECODING_UNSPECIFIED), ("sequential", pb.DECODING_SEQUENTIAL)):
            seconds, result = asyncio.run(via_grpc(address, clip90, decoding))
            times[name].append(seconds)
            texts[name] = result.text
            if name == "service":
                chosen = pb.Decoding.Name(result.decoding)
    wer = {name: word_error_rate(text90, text) for name, text in texts.items()}
    median = {name: statistics.median(t) for name, t in times.items()}
    best = {name: min(t) for name, t in times.items()}
    print(f"(1) one {wave.open(str(clip90)).getnframes() / RATE:.0f} s file, {runs} interleaved runs, medians: "
          f"bare transcribe {median['bare']:.2f} s (WER {wer['bare']:.3f}); service {median['service']:.2f} s, "
          f"{chosen} (WER {wer['service']:.3f}); service sequential {median['sequential']:.2f} s "
          f"(WER {wer['sequential']:.3f})")
    print(f"    service/bare = {median['service'] / median['bare']:.2f} (best runs "
          f"{best['service'] / best['bare']:.2f}; goal <= 0.6); WER difference "
          f"{100 * (wer['service'] - wer['bare']):+.1f} points (goal <= +1)")


def eight_files(env: dict, address: str, clips60: list[Path], data: Path) -> None:
    with running_gateway(env, {"whisper": address}, data) as url:
        via_gateway(url, clips60[0])  # warm-up
        one_by_one = sum(via_gateway(url, path) for path in clips60)
        started = time.perf_counter()
        threads = [threading.Thread(target=via_gateway, args=(url, path)) for path in clips60]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        together = time.perf_counter() - started
    print(f"(2) 8 x 60 s through the gateway: one after another {one_by_one:.1f} s, all at once "
          f"{together:.1f} s; ratio {together / one_by_one:.2f} (goal <= 0.5)")


def long_memory(address: str, pid: int, clip90: Path, minutes: int, data: Path) -> None:
    long = long_file(clip90, minutes, data)
    idle_kb = memory_kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    long_s, result = asyncio.run(via_grpc(address, long))
    growth = (memory_kb(pid, "VmHWM") - idle_kb) / 1024
    print(f"(3) {minutes} min file: {long_s:.0f} s, {result.segment_count} segments; idle RSS "
          f"{idle_kb / 1024:.0f} MB, peak {growth:+.0f} MB over idle (goal <= 300)")


def where_time_goes(model_name: str, cache: Path, cores: int, clip90: Path, data: Path) -> None:
    from optivus_whisper.config import WhisperSettings
    from optivus_whisper.engine import Options, WhisperEngine

    engine = WhisperEngine(WhisperSettings(model=model_name, model_cache=cache, data_dir=data, cpu_threads=cores))
    engine.load()
    started = time.perf_counter()
    list(engine.transcribe(str(clip90), Options(beam_size=5, decoding="batched")))
    total = time.perf_counter() - started
    times, stats = engine.batch_times, engine.batch_stats
    print(f"(4) where the time goes (batched, in this process, {total:.2f} s, {stats.items} pieces in "
          f"{stats.batches} batches): "
          + ", ".join(f"{stage} {getattr(times, stage):.2f} s"
                      for stage in ("prepare", "encode", "language", "generate", "align")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="base")
    parser.add_argument("--long-minutes", type=int, default=60)
    parser.add_argument("--parts", default="1,2,3,4", help="which measurements to run (4: where the time goes)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs of (1)")
    args = parser.parse_args()
    parts = {int(p) for p in args.parts.split(",")}
    cores = os.cpu_count() or 1
    cache = ROOT / "data" / "models"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        spoken = speak_all(data)
        clip90, text90 = clip(spoken, 0, 90, data / "clip90.wav")
        clips60 = [clip(spoken, 3 * k, 60, data / f"clip60-{k}.wav")[0] for k in range(8)]
        print(f"{cores} cores, load average {os.getloadavg()[0]:.1f}, model {args.model} int8, beam 5, "
              f"{cores} CPU threads on both sides")
        model = load_bare(args.model, cache, cores, clips60[0]) if 1 in parts else None
        env = {"OPTIVUS_DATA_DIR": str(data), "OPTIVUS_MODEL_CACHE": str(cache), "AI_WHISPER_MODEL": args.model,
               "OPTIVUS_WHISPER_CPU_THREADS": str(cores), "OPTIVUS_LOG_LEVEL": "WARNING"}
        if parts & {1, 2, 3}:
            port = free_port()
            proc = processes.spawn(processes.service_argv(WHISPER),
                                   {**env, **processes.listen_env(WHISPER, "127.0.0.1", port)}, data / "whisper.log")
            address = f"127.0.0.1:{port}"
            try:
                wait_for_health(address, 300, proc)
                asyncio.run(via_grpc(address, clips60[1]))  # warm-up
                if 1 in parts:
                    one_file(model, address, clip90, text90, args.runs)
                if 2 in parts:
                    eight_files(env, address, clips60, data)
                if 3 in parts:
                    long_memory(address, proc.pid, clip90, args.long_minutes, data)
            finally:
                stop_process(proc)
        if 4 in parts:
            where_time_goes(args.model, cache, cores, clip90, data)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
