#!/usr/bin/env bash
# Builds the development environment on a fresh machine: Debian packages the
# tests and services need, then .venv with exactly the packages (versions and
# files) of requirements/lock.txt, every service and the dev tools, and the
# project itself (editable).
# Run by `make` (through the .venv/.installed stamp); safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# Debian packages: ffmpeg (media for the services and tests), chromium (the
# gateway page's browser tests, driven by playwright, whose own browser
# download is not used).
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "please install: ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
version=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$version" != 3.11 ]; then
  echo "requirements/lock.txt is for Python 3.11, and .venv has Python $version:" \
       "rm -rf .venv, then run make with PYTHON=python3.11" >&2
  exit 1
fi
if grep -qE '^(<<<<<<<|>>>>>>>) ' requirements/lock.txt; then
  echo "requirements/lock.txt has merge conflicts: run make lock" >&2
  exit 1
fi
# pip first, at its locked version: the installer is pinned too.
.venv/bin/python scripts/deps.py pins pip > .venv/pip-lock.txt
.venv/bin/python -m pip install -q --require-hashes --no-deps -r .venv/pip-lock.txt
# The lock lists every dependency, so nothing is resolved (--no-deps): pip
# installs exactly these versions, each file checked against its hash. That
# includes pip itself, the CPU build of torch (from pip's find-links) and
# fish-speech with the two descript packages, whose own pins must not be
# followed (pyproject.toml, [tool.optivus.no-deps]).
.venv/bin/python -m pip install -q --require-hashes --no-deps -r requirements/lock.txt
# The project itself, editable, built with the locked setuptools, and the
# dev-only test support package (testing/; its imports come with `dev`).
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e . -e testing
# What the lock no longer lists goes, so .venv is the lock and nothing more.
extraneous=$(.venv/bin/python scripts/deps.py extraneous)
if [ -n "$extraneous" ]; then
  echo "removing packages requirements/lock.txt does not list:" $extraneous
  # shellcheck disable=SC2086
  .venv/bin/python -m pip uninstall -q -y $extraneous
fi
