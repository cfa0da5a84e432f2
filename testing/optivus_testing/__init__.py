"""What Optivus's tests and benchmarks share, and nothing the services
run: starting real processes (the same code as `optivus run`), the speech
corpus spoken by Piper, media with known content, the tiny Florence-2 and
Fish Speech checkpoints, a local media site, a socket.io client, and the
pytest fixtures built on them (optivus_testing.fixtures, loaded by the
root conftest.py). Installed only in the development environment."""
