"""Media files with known content, made with ffmpeg and Pillow, and the
files a service must refuse."""

from __future__ import annotations

import subprocess
from pathlib import Path

# (seconds, background, text) of the scenes video; cuts at 4.4 s and 9.7 s.
SCENES = [(4.4, "firebrick", "FIRST SCENE"), (5.3, "navy", "SECOND PART"), (3.0, "darkgreen", "THIRD ACT")]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def concat_mp3(parts: list[Path], out: Path) -> Path:
    """The parts, one after another, in one mp3."""
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{p}'\n" for p in parts))
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c:a", "libmp3lame", "-q:a", "4", str(out))
    return out


def bad_media(media_dir: Path, speech_wav: Path) -> dict[str, Path]:
    """Files that must be refused with a clear error. All lie inside
    media_dir except "outside" (and what "symlink", "escape" and "playlist"
    point at), which lie beside it."""
    folder = media_dir / "bad"
    folder.mkdir(exist_ok=True)
    empty = folder / "empty.mp3"
    empty.write_bytes(b"")
    text = folder / "notes.mp3"
    text.write_text("this is a text file pretending to be an mp3\n" * 20)
    video = folder / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=3:size=160x120:rate=10", "-i", str(speech_wav),
           "-shortest", "-c:v", "libx264", "-c:a", "aac", str(video))
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(video.read_bytes()[: video.stat().st_size // 3])
    silent_video = folder / "no_audio.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10", "-c:v", "libx264", str(silent_video))
    outside = media_dir.parent / "outside-secret.wav"
    outside.write_bytes(speech_wav.read_bytes())
    link = folder / "link.wav"
    if not link.exists():
        link.symlink_to(outside)
    # A playlist inside the media folder whose segment is a file outside it:
    # FFmpeg's hls demuxer would read it, past the media-root check.
    secret_ts = media_dir.parent / "outside-secret.ts"
    ffmpeg("-i", str(speech_wav), "-c:a", "aac", "-f", "mpegts", str(secret_ts))
    playlist = folder / "playlist.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\n"
                        f"file://{secret_ts}\n#EXT-X-ENDLIST\n")
    return {"empty": empty, "text": text, "video": video, "truncated": truncated,
            "no_audio": silent_video, "outside": outside, "symlink": link,
            "escape": folder / ".." / ".." / outside.name, "playlist": playlist}


def vision_media(media_dir: Path) -> dict[str, Path]:
    """Images and videos with known content inside media_dir, and files
    the florence service must refuse."""
    from PIL import Image

    from .florence import render_text, scene_video, tiny_image

    folder = media_dir / "vision"
    folder.mkdir(exist_ok=True)
    files = {"text_png": folder / "invoice.png", "text_jpg": folder / "sign.jpg", "tiny": folder / "tiny.png",
             "scenes": folder / "scenes.mp4", "one_scene": folder / "one.mp4", "audio": folder / "tone.mp3",
             "notes": folder / "notes.txt", "fake_png": folder / "fake.png", "huge": folder / "huge.png"}
    render_text(["Invoice 4721", "Total 98.50"]).save(files["text_png"])
    render_text(["OPEN DAILY"], background="navy", colour="yellow").save(files["text_jpg"], quality=90)
    tiny_image().save(files["tiny"])
    scene_video(files["scenes"], SCENES)
    scene_video(files["one_scene"], [(3.0, "purple", "ONLY SCENE")])
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", str(files["audio"]))
    files["notes"].write_text("these are notes, not media\n" * 50)
    files["fake_png"].write_bytes(files["notes"].read_bytes())
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(files["scenes"].read_bytes()[:4096])
    files["truncated"] = truncated
    # 20000 x 20000: 50 MB as a 1-bit image in memory here, a few hundred KB as PNG.
    Image.new("1", (20000, 20000)).save(files["huge"])
    return files


def narrated_video(path: Path, voice, scenes: list[tuple[str, str]], colours=("navy", "darkgreen", "firebrick",
                                                                                "purple")) -> Path:
    """An MP4 of one scene per (slide text, narration): the slide's text on
    a coloured background for as long as its narration, spoken by `voice`
    (Piper), so that both the transcript and the scenes are known."""
    import wave

    from .florence import scene_video
    from .speech import speak

    spoken, timeline = [], []
    for i, (text, narration) in enumerate(scenes):
        wav = path.with_name(f"{path.stem}.part{i}.wav")
        speak(voice, narration, wav)
        with wave.open(str(wav)) as w:
            seconds = w.getnframes() / w.getframerate() + 0.6
        spoken.append((wav, seconds))
        timeline.append((round(seconds, 2), colours[i % len(colours)], text))
    silent = scene_video(path.with_name(f"{path.stem}.video.mp4"), timeline)
    inputs = []
    for wav, seconds in spoken:
        inputs += ["-i", str(wav)]
    graph = "".join(f"[{i}:a]apad=whole_dur={s}[a{i}];" for i, (_, s) in enumerate(spoken))
    graph += "".join(f"[a{i}]" for i in range(len(spoken))) + f"concat=n={len(spoken)}:v=0:a=1[a]"
    audio = path.with_name(f"{path.stem}.audio.m4a")
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[a]", "-c:a", "aac", str(audio))
    ffmpeg("-i", str(silent), "-i", str(audio), "-c:v", "copy", "-c:a", "copy", "-shortest", str(path))
    for wav, _ in spoken:
        wav.unlink()
    silent.unlink()
    audio.unlink()
    return path
