"""`optivus run` (what `make run` starts): NATS, every service and the
gateway come up healthy, each serving its metrics where the banner says,
the seed's whisp request works through it and is counted, and SIGTERM (or
the launcher dying) leaves nothing running."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import socketio

from optivus_common.registry import built_services
from optivus_testing.processes import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    state = (entry / "stat").read_text().split(")")[-1].split()[0]
                    if state != "Z":
                        found.append(int(entry.name))
            except OSError:
                pass
    return found


def start_stack(tmp_path):
    marker = f"OPTIVUS_TEST_MARKER={uuid.uuid4().hex}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1], "OPTIVUS_DATA_DIR": str(tmp_path),
           "OPTIVUS_LOCAL_NATS_PORT": str(free_port()), "OPTIVUS_LOCAL_NATS_MONITOR_PORT": str(free_port()),
           "OPTIVUS_GATEWAY_PORT": str(free_port()), "OPTIVUS_LOCAL_METRICS_PORT": "0", "PYTHONUNBUFFERED": "1"}
    for svc in built_services():
        env[f"OPTIVUS_{svc.name.upper()}_PORT"] = str(free_port())
    optivus = Path(sys.executable).parent / "optivus"
    proc = subprocess.Popen([str(optivus), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines = []
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("optivus run exited early:\n" + "".join(lines))
        lines.append(line)
        if line.startswith("Ctrl-C stops everything"):
            return proc, "".join(lines), marker
    raise AssertionError("stack not up in time:\n" + "".join(lines))


def test_make_run_stack_serves_whisp_and_stops_cleanly(tmp_path, piper_voice, wer):
    from optivus_testing.speech import speak

    proc, banner, marker = start_stack(tmp_path)
    try:
        assert "optivus is up" in banner
        for svc in built_services():
            assert f"{svc.name} (gRPC)" in banner
        url = re.search(r"gateway \(socket\.io\) (http://\S+)", banner).group(1)
        metrics = dict(re.findall(r"^  (\w+) \(.*metrics (http://\S+/metrics)$", banner, re.M))
        assert set(metrics) == {"gateway", *(svc.name for svc in built_services())}
        assert len(set(metrics.values())) == len(metrics)  # a port each
        audio = speak(piper_voice, "The quick brown fox jumps over the lazy dog.", tmp_path / "hello.wav")
        sio = socketio.Client()
        replies = []
        sio.on("message", replies.append)
        sio.connect(url)
        sio.emit("message", {"type": "whisp", "file": str(audio)})
        deadline = time.monotonic() + 120
        while not replies and time.monotonic() < deadline:
            time.sleep(0.1)
        sio.disconnect()
        assert replies and replies[0]["status"] == "200", replies
        with urllib.request.urlopen(metrics["gateway"], timeout=10) as reply:
            assert 'optivus_gateway_messages_total{status="200",type="whisp"} 1.0' in reply.read().decode()
        with urllib.request.urlopen(metrics["whisper"], timeout=10) as reply:
            assert 'grpc_method="Transcribe"' in reply.read().decode()
        assert wer("The quick brown fox jumps over the lazy dog.",
                   replies[0]["data"]["transcribe_audio"]["text"]) <= 0.2
        assert len(processes_with(marker)) == len(built_services()) + 3  # launcher, nats, services, gateway
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "stopped." in out
    assert processes_with(marker) == []


def test_children_die_with_the_launcher(tmp_path):
    proc, _, marker = start_stack(tmp_path)
    proc.kill()  # no chance to clean up: the children's parent-death signal must
    proc.wait()
    deadline = time.monotonic() + 30
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == []
