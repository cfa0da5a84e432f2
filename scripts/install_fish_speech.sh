#!/usr/bin/env bash
# Installs the Fish Speech inference code without its dependency pins
# (numpy<=1.26.4, pydantic==2.9.2, protobuf<3.20 through descript-audiotools,
# gradio, wandb, torchaudio, ...), which this project's numpy 2, pydantic
# 2.10+ and protobuf 7 cannot take. What these packages really import is in
# the `fish` extra of pyproject.toml; torchaudio is an import-only stand-in
# inside services/fish. Usage: scripts/install_fish_speech.sh [PYTHON]
set -euo pipefail
PY=${1:-.venv/bin/python}
"$PY" -m pip install -q --no-deps \
  "fish-speech==0.1.0" "descript-audiotools==0.7.2" "descript-audio-codec==1.0.0"
