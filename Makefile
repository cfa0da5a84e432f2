# make run   - the whole stack on loopback (NATS, services, gateway on :5000)
# make test  - every test, real models and servers included
# The first use of either builds .venv (and installs ffmpeg) by itself.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast protos bench clean-venv

$(STAMP): pyproject.toml scripts/bootstrap.sh
	./scripts/bootstrap.sh
	touch $@

run: $(STAMP)
	$(VENV)/bin/optivus run

test: $(STAMP)
	$(PY) -m pytest

# Unit tests only (no real models or servers).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not integration"

# Regenerates protos/gen/python from protos/ (a test fails when it is stale).
protos: $(STAMP)
	$(PY) scripts/gen_protos.py

bench: $(STAMP)
	$(PY) bench/whisper_overhead.py
	$(PY) bench/tts_stream.py
	$(PY) bench/dlp_throughput.py
	$(PY) bench/florence_video.py

clean-venv:
	rm -rf $(VENV)
