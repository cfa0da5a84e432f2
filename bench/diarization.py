"""Speaker diarization: how right, and what it costs beside transcription.

Conversations of the test corpus (testing/optivus_testing/diarization.py:
the Piper voice and pitch/formant-shifted variants, turns of 2-15 s) with
2, 3 and 4 speakers are transcribed by the packaged base model (word
timestamps, as diarize asks for them) and diarized with the number of
speakers estimated. Prints, per conversation and overall, the diarization
error rate (0.25 s collar), whether the number of speakers was found, and
diarization time / transcription time (goal: under 0.2 on the CPU).
Run: .venv/bin/python bench/diarization.py [--seconds 60] [--seeds 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from optivus_testing.diarization import Turn, Voices, conversation, diarization_error_rate
from optivus_testing.speech import piper_voice
from optivus_whisper.config import WhisperSettings
from optivus_whisper.diarizer import Diarizer
from optivus_whisper.engine import WhisperEngine
from optivus_whisper.transcript import Options


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--speakers", type=int, nargs="*", default=[2, 3, 4])
    args = parser.parse_args()
    settings = WhisperSettings(model="base", device="cpu")
    engine = WhisperEngine(settings)
    engine.load()
    diarizer = Diarizer.from_settings(settings)
    voices = Voices(piper_voice())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for speakers in args.speakers:
            for seed in range(args.seeds):
                talk = conversation(voices, speakers, args.seconds, seed=seed)
                path = talk.write(Path(tmp) / f"talk{speakers}-{seed}.wav")
                started = time.perf_counter()
                segments = [s for s in engine.transcribe(str(path), Options(language="en", word_timestamps=True))
                            if not hasattr(s, "language_probability")]
                transcribe_s = time.perf_counter() - started
                if not rows:  # the first call loads the speaker model: not counted
                    diarizer.diarize(str(path), segments, 0, 0)
                started = time.perf_counter()
                labelled = diarizer.diarize(str(path), segments, 0, 0)
                diarize_s = time.perf_counter() - started
                found = len({s.speaker for s in labelled})
                der = diarization_error_rate(talk.turns, [Turn(s.speaker, s.start, s.end) for s in labelled])
                rows.append((speakers, seed, talk.duration, der, found, transcribe_s, diarize_s))
                print(f"{speakers} speakers seed {seed}: {talk.duration:5.1f} s audio, DER {der:6.1%}, "
                      f"found {found} speakers, transcribe {transcribe_s:5.1f} s, diarize {diarize_s:5.2f} s "
                      f"(ratio {diarize_s / transcribe_s:.3f})", flush=True)
    for speakers in args.speakers:
        mine = [r for r in rows if r[0] == speakers]
        print(f"{speakers} speakers: mean DER {sum(r[3] for r in mine) / len(mine):.1%}, "
              f"count right {sum(r[4] == speakers for r in mine)}/{len(mine)}")
    audio = sum(r[2] for r in rows)
    print(f"overall: mean DER {sum(r[3] for r in rows) / len(rows):.1%}, "
          f"count right {sum(r[4] == r[0] for r in rows)}/{len(rows)}, "
          f"diarize/transcribe {sum(r[6] for r in rows) / sum(r[5] for r in rows):.3f} "
          f"({sum(r[6] for r in rows) / audio:.4f} s per audio second)")


if __name__ == "__main__":
    main()
