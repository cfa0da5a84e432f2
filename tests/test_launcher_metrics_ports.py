"""`optivus run` gives every process a metrics port of its own: fixed
ones from OPTIVUS_LOCAL_METRICS_PORT in registry order (a restarted
process keeps its port), or free ones when it is 0."""

from __future__ import annotations

from optivus_cli.launcher import LocalSettings, metrics_port_of
from optivus_common.registry import GATEWAY, SERVICES


def test_fixed_ports_follow_the_registry():
    settings = LocalSettings(metrics_port=9470)
    ports = {name: metrics_port_of(settings, name) for name in [GATEWAY.name, *(s.name for s in SERVICES)]}
    assert ports == {"gateway": 9470, "whisper": 9471, "florence": 9472, "fish": 9473, "dlp": 9474,
                     "videorag": 9475}
    assert metrics_port_of(settings, "dlp") == 9474  # the same on every call (a restart)


def test_zero_picks_free_ports():
    import socket

    settings = LocalSettings(metrics_port=0)
    for spec in SERVICES:
        port = metrics_port_of(settings, spec.name)
        with socket.socket() as s:
            s.bind((settings.host, port))  # nothing listens there
