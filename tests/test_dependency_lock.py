"""requirements/lock.txt is what pyproject.toml asks for, every image
installs its part of it, and .venv is exactly the lock.

After editing pyproject.toml's dependencies, run `make lock` and commit
requirements/ (README, Dependencies)."""

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("optivus_scripts_deps", ROOT / "scripts" / "deps.py")
deps = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deps)


def test_lock_agrees_with_pyproject():
    problems = deps.check_lock(deps.load_pyproject())
    assert not problems, "\n".join(problems)


def test_images_install_their_part_of_the_lock():
    problems = deps.check_images(deps.load_pyproject())
    assert not problems, "\n".join(problems)


def test_venv_is_exactly_the_lock():
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout
    installed = {}
    for line in freeze.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, pinned, version = line.partition("==")
        assert pinned, f"pip freeze: {line!r} is not a release from an index (installed by hand?)"
        installed[deps.canon(name)] = version.strip()
    installed.pop(deps.PROJECT, None)
    locked = {name: pin.version for name, pin in deps.read_pins(deps.LOCK).items()}
    assert len(locked) > 100
    problems = [f"{name}: installed {installed.get(name, '(nothing)')}, locked {locked.get(name, '(nothing)')}"
                for name in sorted(set(installed) | set(locked)) if installed.get(name) != locked.get(name)]
    assert not problems, (f"{sys.prefix} is not requirements/lock.txt: ./scripts/bootstrap.sh makes it so "
                          "(make test and make run run it when the lock changes):\n" + "\n".join(problems))


# --- the checks catch what they are for --------------------------------------

def dev_extra(pyproject: dict) -> list[str]:
    return pyproject["project"]["optional-dependencies"]["dev"]


def test_a_new_dependency_without_make_lock_is_named():
    pyproject = deps.load_pyproject()
    dev_extra(pyproject).append("hypothesis>=6")
    problems = deps.check_lock(pyproject)
    assert any("changed after requirements/lock.txt was made: run `make lock`" in p for p in problems)
    assert any(p.startswith("pyproject.toml asks for hypothesis>=6; requirements/lock.txt has nothing")
               for p in problems), problems


def test_a_raised_lower_bound_without_make_lock_is_named():
    pyproject = deps.load_pyproject()
    locked = deps.read_pins(deps.LOCK)["yt-dlp"].version
    dlp = pyproject["project"]["optional-dependencies"]["dlp"]
    dlp[:] = [r for r in dlp if not r.startswith("yt-dlp")] + ["yt-dlp>9999"]
    problems = deps.check_lock(pyproject)
    assert f"pyproject.toml asks for yt-dlp>9999; requirements/lock.txt has {locked}: run `make lock`" in problems


def test_a_dropped_dependency_without_make_lock_is_named():
    pyproject = deps.load_pyproject()
    dlp = pyproject["project"]["optional-dependencies"]["dlp"]
    dlp[:] = [r for r in dlp if not r.startswith("pycryptodomex")]
    problems = deps.check_lock(pyproject)
    assert any(p.startswith("pycryptodomex is in requirements/lock.txt for pyproject.toml, which no longer asks")
               for p in problems), problems


def test_fingerprint_ignores_order_spacing_and_comments():
    pyproject = deps.load_pyproject()
    shuffled = copy.deepcopy(pyproject)
    core = shuffled["project"]["dependencies"]
    core.reverse()
    core[0] = core[0].replace(">=", " >= ")
    assert deps.fingerprint(shuffled) == deps.fingerprint(pyproject)
    shuffled["tool"]["optivus"]["no-deps"]["fish"].append("loralib==0.1.2")
    assert deps.fingerprint(shuffled) != deps.fingerprint(pyproject)


def test_unpinned_pip_installs_in_a_dockerfile_are_named():
    old = ('COPY services services\n'
           'RUN --mount=type=cache,target=/root/.cache/pip pip install ".[dlp]"\n'
           'RUN pip install -r requirements/images/dlp.txt\n')
    problems = deps.dockerfile_problems("dlp", old)
    assert problems == [
        'services/dlp/Dockerfile: unpinned pip install: pip install ".[dlp]"',
        "services/dlp/Dockerfile: install the set with --require-hashes --no-deps: "
        "pip install -r requirements/images/dlp.txt",
    ]
    assert deps.dockerfile_problems("dlp", "RUN pip install yt-dlp\n") == [
        "services/dlp/Dockerfile does not install requirements/images/dlp.txt",
        "services/dlp/Dockerfile: unpinned pip install: pip install yt-dlp",
    ]


def test_a_dockerfile_on_another_python_is_named():
    text = ("ARG CUDA_IMAGE=nvidia/cuda:12.6.3-runtime-ubuntu24.04\n"
            "FROM ${CUDA_IMAGE} AS build\n"
            "COPY requirements/images/fish.txt requirements.txt\n"
            "RUN pip install --require-hashes --no-deps -r requirements.txt\n"
            "FROM python:3.11-slim-bookworm\n")
    assert deps.dockerfile_problems("fish", text) == [
        "services/fish/Dockerfile: FROM nvidia/cuda:12.6.3-runtime-ubuntu24.04: "
        "the lock is for Python 3.11 (python:3.11-*)"]


def test_a_merge_conflict_keeps_our_side():
    text = ("a==1 \\\n    --hash=sha256:aa\n"
            "<<<<<<< HEAD\nb==2 \\\n    --hash=sha256:b2\n"
            "||||||| base\nb==1 \\\n    --hash=sha256:b1\n"
            "=======\nb==3 \\\n    --hash=sha256:b3\n"
            ">>>>>>> theirs\nc==1 \\\n    --hash=sha256:cc\n")
    pins = deps.parse_pins(deps.our_side(text))
    assert {n: (p.version, p.hashes) for n, p in pins.items()} == {
        "a": ("1", ["sha256:aa"]), "b": ("2", ["sha256:b2"]), "c": ("1", ["sha256:cc"])}
    theirs = deps.parse_pins(deps.our_side(text, keep="theirs"))
    assert {n: p.version for n, p in theirs.items()} == {"a": "1", "b": "3", "c": "1"}
