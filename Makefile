# make run   - the whole stack on loopback (NATS, services, gateway on :5000)
# make test  - every test, real models and servers included
# make lock  - refresh requirements/ (the lock) after editing pyproject.toml
# The first use of run or test builds .venv (and installs ffmpeg) by itself,
# with exactly the versions of requirements/lock.txt.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# make lock UPGRADE="yt-dlp"   moves those packages to their newest allowed version
# make lock UPGRADE=all        moves everything
UPGRADE ?=

.PHONY: run test test-fast lint lock protos bench clean-venv

$(STAMP): pyproject.toml testing/pyproject.toml requirements/lock.txt scripts/bootstrap.sh
	./scripts/bootstrap.sh
	touch $@

run: $(STAMP)
	$(VENV)/bin/optivus run

test: $(STAMP)
	$(PY) -m pytest

# Unit tests only (no real models or servers).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not integration"

# Rewrites requirements/lock.txt and requirements/images/ from pyproject.toml,
# keeping every locked version that still fits (see the README, Dependencies).
# Needs only pip-tools in .venv, so it also works while the lock is stale or
# in conflict; the next make run/test installs what it locked.
lock: | $(VENV)/bin/pip-compile
	$(PY) scripts/deps.py lock --upgrade "$(UPGRADE)"

$(VENV)/bin/pip-compile:
	$(MAKE) $(STAMP)

# Regenerates protos/gen/python from protos/ (a test fails when it is stale).
protos: $(STAMP)
	$(PY) scripts/gen_protos.py

bench: $(STAMP)
	$(PY) bench/whisper_overhead.py
	$(PY) bench/whisper_speed.py
	$(PY) bench/tts_stream.py
	$(PY) bench/dlp_throughput.py
	$(PY) bench/florence_video.py
	$(PY) bench/gateway_load.py
	$(PY) bench/pipeline_overlap.py

clean-venv:
	rm -rf $(VENV)

# Import-layer contracts (.importlinter) and buf lint (protos/buf.yaml), offline.
lint: $(STAMP)
	$(VENV)/bin/lint-imports
	$(PY) scripts/buf_lint.py
