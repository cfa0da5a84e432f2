#!/usr/bin/env python3
"""The dependency lock: requirements/lock.txt and the images' sets.

    python scripts/deps.py lock [--upgrade all | --upgrade "NAME ..."]   (make lock)
    python scripts/deps.py check                                         (what the tests check)
    python scripts/deps.py extraneous                                    (scripts/bootstrap.sh)
    python scripts/deps.py pins NAME ...                                 (scripts/bootstrap.sh)

requirements/lock.txt is pip-compile's lock of `.[dev]` (every extra) for
Python 3.11 on Linux x86_64, with the hashes of every file, made with pip's
own configuration (the CPU torch wheel comes from pip's find-links). On top
of pip-compile's output this script
  - drops the self-reference pip-compile writes for `optivus[all]` (the
    project is installed editable, on its own),
  - records a fingerprint of pyproject.toml's dependency tables, so that a
    test tells when pyproject.toml changed after the lock was made,
  - appends the [tool.optivus.no-deps] packages, hashed. Everything in the
    lock is installed with --no-deps: the lock is complete, so pip resolves
    nothing, and these packages' own pins are never followed.
requirements/images/<name>.txt ([tool.optivus.images] in pyproject.toml):
pip resolves the image's extras with every version pinned to the lock's,
and the lock's lines are copied; only what the lock cannot have (PyPI's
CUDA build of torch and its CUDA packages, extras outside `dev`) is added,
in its own section.

pip-compile keeps the versions already in the lock unless asked to upgrade,
so `make lock` after an edit of pyproject.toml moves only what must move.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements" / "lock.txt"
IMAGES = ROOT / "requirements" / "images"
PROJECT = "optivus"
PYTHON = (3, 11)  # the lock's interpreter: `make`, CI and every image

FINGERPRINT = "# pyproject.toml fingerprint: "
NO_DEPS_HEADER = "# Installed without their dependencies ([tool.optivus.no-deps] in pyproject.toml):"
IMAGE_ONLY_HEADER = "# Not in requirements/lock.txt (resolved against it, from PyPI):"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(\s+\\)?$")


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def public(version: str) -> str:
    """The version without its local label: 2.13.0+cpu -> 2.13.0."""
    return version.split("+", 1)[0]


# --- reading locks ----------------------------------------------------------

@dataclass
class Pin:
    name: str  # canonical
    version: str
    lines: list[str]  # "name==version \" and its "--hash=" lines, as written
    via: list[str] = field(default_factory=list)  # pip-compile's "# via" entries
    section: str = "lock"  # "lock", "no-deps" or "image-only"

    @property
    def hashes(self) -> list[str]:
        return [h for line in self.lines for h in re.findall(r"--hash=(\S+)", line)]


def parse_pins(text: str) -> dict[str, Pin]:
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    section = "lock"
    for line in text.splitlines():
        if line.startswith(NO_DEPS_HEADER):
            section, current = "no-deps", None
        elif line.startswith(IMAGE_ONLY_HEADER):
            section, current = "image-only", None
        elif m := PIN.match(line):
            current = pins[canon(m[1])] = Pin(canon(m[1]), m[2], [line], section=section)
        elif current and line.startswith("    --hash="):
            current.lines.append(line)
        elif current and line.startswith("    #"):
            entry = line.strip().removeprefix("#").strip().removeprefix("via").strip()
            if entry:
                current.via.append(entry)
        else:  # a comment, a blank line, or something pip-compile wrote that is not a pin
            current = None
    return pins


def read_pins(path: Path) -> dict[str, Pin]:
    return parse_pins(path.read_text()) if path.exists() else {}


def read_fingerprint(path: Path) -> str | None:
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.startswith(FINGERPRINT):
            return line.removeprefix(FINGERPRINT).split()[0]
    return None


CONFLICT = re.compile(r"^(<<<<<<< |=======$|>>>>>>> )", re.M)


def our_side(text: str, keep: str = "ours") -> str:
    """A file with git conflict markers, with our side (or theirs) of each
    conflict kept."""
    out, side = [], None
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if bare.startswith("<<<<<<< "):
            side = "ours"
        elif bare.startswith("||||||| ") and side:
            side = "base"
        elif bare == "=======" and side:
            side = "theirs"
        elif bare.startswith(">>>>>>> ") and side:
            side = None
        elif side in (None, keep):
            out.append(line)
    return "".join(out)


# --- pyproject.toml ---------------------------------------------------------

def load_pyproject() -> dict:
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)


def requirement(text: str):
    from packaging.requirements import Requirement
    return Requirement(text)


def fingerprint(pyproject: dict) -> str:
    """What the lock depends on in pyproject.toml, as a short hash. Order,
    spacing and comments do not count."""
    project = pyproject["project"]

    def norm(reqs: list[str]) -> list[str]:
        return sorted(str(requirement(r)) for r in reqs)

    data = {
        "requires-python": project.get("requires-python"),
        "build-system": norm(pyproject["build-system"]["requires"]),
        "dependencies": norm(project.get("dependencies", [])),
        "optional-dependencies": {k: norm(v) for k, v in project.get("optional-dependencies", {}).items()},
        "tool.optivus": pyproject.get("tool", {}).get("optivus", {}),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def extras_closure(pyproject: dict, extras: list[str]) -> set[str]:
    """The extras, with the ones they name through `optivus[...]`."""
    optional = pyproject["project"].get("optional-dependencies", {})
    seen: set[str] = set()
    todo = list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in optional.get(extra, []):
            req = requirement(text)
            if canon(req.name) == PROJECT:
                todo.extend(req.extras)
    return seen


def requirements_of(pyproject: dict, extras: list[str]) -> list:
    """The project's own requirements with these extras (core included),
    those whose markers apply to this interpreter."""
    optional = pyproject["project"].get("optional-dependencies", {})
    texts = list(pyproject["project"].get("dependencies", []))
    for extra in sorted(extras_closure(pyproject, extras)):
        texts += optional.get(extra, [])
    reqs = [requirement(t) for t in texts]
    return [r for r in reqs if canon(r.name) != PROJECT and (r.marker is None or r.marker.evaluate({"extra": ""}))]


def build_requirements(pyproject: dict) -> list:
    return [requirement(t) for t in pyproject["build-system"]["requires"]]


def no_deps_of(pyproject: dict, extras: list[str]) -> list:
    table = pyproject.get("tool", {}).get("optivus", {}).get("no-deps", {})
    return [requirement(t) for extra in sorted(extras_closure(pyproject, extras)) for t in table.get(extra, [])]


@dataclass
class Image:
    name: str
    extras: list[str]
    cuda_torch: bool
    service: str  # services/<service>/Dockerfile installs the set (one Dockerfile may offer several)

    @property
    def path(self) -> Path:
        return IMAGES / f"{self.name}.txt"

    @property
    def dockerfile(self) -> Path:
        return ROOT / "services" / self.service / "Dockerfile"


def images(pyproject: dict) -> list[Image]:
    table = pyproject.get("tool", {}).get("optivus", {}).get("images", {})
    return [Image(name, list(spec.get("extras", [])), bool(spec.get("cuda-torch", False)),
                  spec.get("dockerfile", name))
            for name, spec in table.items()]


# --- make lock --------------------------------------------------------------

def run_quietly(cmd: list[str]) -> subprocess.CompletedProcess:
    """Runs pip or pip-compile; their output is shown only when they fail
    (pip warns about every package the local file indexes do not hold)."""
    env = {**os.environ, "CUSTOM_COMPILE_COMMAND": "make lock"}  # pip-compile's header
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if done.returncode:
        noise = "is ignored: it is neither a file nor a directory"
        sys.stderr.write("".join(line for line in (done.stdout + done.stderr).splitlines(keepends=True)
                                 if noise not in line))
    return done


def compile_lock(pyproject: dict, upgrade: list[str]) -> None:
    LOCK.parent.mkdir(exist_ok=True)
    text = LOCK.read_text() if LOCK.exists() else ""
    if CONFLICT.search(text):
        # Our side's versions are the preferences. A package both sides
        # lock alike keeps its hashes; the others are hashed again.
        print("requirements/lock.txt has merge conflicts: starting from our side's versions")
        ours, theirs = parse_pins(our_side(text)), parse_pins(our_side(text, keep="theirs"))

        def alike(pin: Pin) -> bool:
            other = theirs.get(pin.name)
            return other is not None and (other.version, other.hashes) == (pin.version, pin.hashes)

        LOCK.write_text("".join("\n".join(p.lines) + "\n" if alike(p) else f"{p.name}=={p.version}\n"
                                for p in ours.values() if p.section == "lock"))
    cmd = [sys.executable, "-m", "piptools", "compile", "--quiet",
           "--extra=dev", "--build-deps-for=wheel", "--build-deps-for=editable",
           "--generate-hashes", "--allow-unsafe", "--strip-extras",
           "--no-emit-index-url", "--no-emit-find-links",
           "--output-file", str(LOCK.relative_to(ROOT)), "pyproject.toml"]
    if upgrade == ["all"]:
        cmd.append("--upgrade")
    else:
        for name in upgrade:
            cmd += ["--upgrade-package", name]
    if run_quietly(cmd).returncode:
        sys.exit("pip-compile failed (above); requirements/lock.txt is unchanged or incomplete")

    # pip-compile's self-reference (from `optivus[all]` in dev): the project
    # is installed on its own, editable; its path is this machine's.
    out, skipping = [], False
    for line in LOCK.read_text().splitlines():
        if line.startswith(f"{PROJECT} @ "):
            skipping = True
            continue
        if skipping and line.startswith("    "):
            continue
        skipping = False
        if line.startswith(("# WARNING: pip install will require", "# Consider using a hashable URL")):
            continue
        out.append(line)
    first_pin = next(i for i, line in enumerate(out) if PIN.match(line))
    out[first_pin:first_pin] = [f"{FINGERPRINT}{fingerprint(pyproject)} (written by make lock; a test compares it)", "#"]
    text = "\n".join(out).rstrip("\n") + "\n"
    if "file://" in text:
        sys.exit("requirements/lock.txt names a local path (file://): see it and fix scripts/deps.py")
    pins = parse_pins(text)
    torch = pins.get("torch")
    if torch and "+cpu" not in torch.version:
        sys.exit(f"torch resolved to {torch.version}, not the CPU build: pip must see the CPU wheel "
                 "(pip config list: find-links); requirements/lock.txt is left as pip-compile wrote it")
    LOCK.write_text(text + no_deps_section(pyproject, pins))


def no_deps_section(pyproject: dict, pins: dict[str, Pin]) -> str:
    reqs = no_deps_of(pyproject, ["dev"])
    if not reqs:
        return ""
    previous = {n: p for n, p in pins.items() if p.section == "no-deps"}
    blocks = []
    for req in sorted(reqs, key=lambda r: canon(r.name)):
        spec = str(req.specifier)
        if not spec.startswith("==") or "," in spec or "*" in spec:
            sys.exit(f"[tool.optivus.no-deps]: {req} must name one exact version (==)")
        name, version = canon(req.name), spec[2:]
        old = previous.get(name)
        hashes = old.hashes if old and old.version == version else None
        if not hashes:
            item = resolve([str(req)], [], no_deps=True)
            if item is None:
                sys.exit(f"pip could not find {req}")
            hashes = sorted(file_hashes(item[0]))
        blocks.append(pin_block(name, version, hashes) + [f"    # via {PROJECT} ([tool.optivus.no-deps])"])
    return "\n" + NO_DEPS_HEADER + "\n" + "\n".join(line for b in blocks for line in b) + "\n"


def pin_block(name: str, version: str, hashes: list[str]) -> list[str]:
    lines = [f"{name}=={version} \\"]
    lines += [f"    --hash={h} \\" for h in hashes]
    lines[-1] = lines[-1].removesuffix(" \\")
    return lines


def resolve(targets: list[str], constraints: list[str], no_deps: bool = False) -> list[dict] | None:
    """What pip would install for targets (pip's own configuration), or
    None when it cannot."""
    with tempfile.TemporaryDirectory() as tmp:
        constraint_file, report = Path(tmp) / "constraints.txt", Path(tmp) / "report.json"
        constraint_file.write_text("".join(f"{c}\n" for c in constraints))
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
               "--report", str(report), "-c", str(constraint_file)]
        if no_deps:
            cmd.append("--no-deps")
        if run_quietly(cmd + targets).returncode:
            return None
        return json.loads(report.read_text())["install"]


def file_hashes(item: dict) -> set[str]:
    """sha256 of the file pip chose, and of every file PyPI holds for that
    version (an image may pick another wheel of the same release)."""
    info = item["download_info"]
    name, version = item["metadata"]["name"], item["metadata"]["version"]
    chosen = info.get("archive_info", {}).get("hashes", {}).get("sha256")
    url = urlparse(info["url"])
    if not chosen and url.scheme == "file":
        chosen = hashlib.sha256(Path(unquote(url.path)).read_bytes()).hexdigest()
    if not chosen:
        sys.exit(f"no sha256 for {name} {version} ({info['url']})")
    try:
        from packaging.version import Version
        with urllib.request.urlopen(f"https://pypi.org/pypi/{canon(name)}/json", timeout=120) as r:
            releases = json.load(r)["releases"]  # keyed by the version as uploaded: 13.0.3 for 13.0.3.0
        on_pypi = {f["digests"]["sha256"] for key, files in releases.items()
                   if Version(key) == Version(version) for f in files}
    except OSError as e:
        print(f"warning: PyPI's file list for {name} {version} unavailable ({e}); keeping the one hash")
        on_pypi = {chosen}
    if chosen not in on_pypi:
        sys.exit(f"{name} {version}: the file pip chose ({info['url']}) is not one of PyPI's; "
                 "an image build could not install it")
    return {f"sha256:{h}" for h in on_pypi}


INPUTS = "# resolved from: "


def image_inputs(pyproject: dict, image: Image, pins: dict[str, Pin], previous: dict[str, Pin]) -> str:
    """What the image's set was resolved from: its requirements, and the
    locked versions and hashes of the packages it held. While these stay
    the same, so does the set, and `make lock` need not ask pip again."""
    reqs = requirements_of(pyproject, image.extras) + build_requirements(pyproject)
    reqs += no_deps_of(pyproject, image.extras)
    held = {name: (pins[name].version, pins[name].hashes) if name in pins else None for name in previous}
    data = {"requirements": sorted(map(str, reqs)), "cuda-torch": image.cuda_torch, "held": held}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def read_inputs(path: Path) -> str | None:
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.startswith(INPUTS):
            return line.removeprefix(INPUTS).split()[0]
    return None


def lock_image(pyproject: dict, image: Image, pins: dict[str, Pin], upgrade: list[str]) -> str:
    """Writes requirements/images/<name>.txt; says whether pip was asked."""
    text = image.path.read_text() if image.path.exists() else ""
    conflicted = bool(CONFLICT.search(text))  # a merge: keep our side's versions, check every hash again
    previous = parse_pins(our_side(text))
    upgrading = upgrade == ["all"] or any(canon(u) in previous for u in upgrade)
    if (previous and not upgrading and not conflicted
            and read_inputs(image.path) == image_inputs(pyproject, image, pins, previous)):
        # Nothing it was resolved from changed: the same set, with today's header.
        from_lock = [pins[p.name] for p in previous.values() if p.section == "lock"]
        own = [p.lines for p in previous.values() if p.section == "image-only"]
        write_image(pyproject, image, pins, from_lock, own)
        return "unchanged"

    torch = pins.get("torch")
    constraints = [f"{p.name}=={p.version}" for p in pins.values()
                   if p.section == "lock" and not (image.cuda_torch and p.name == "torch")]
    if image.cuda_torch:
        if not torch:
            sys.exit(f"[tool.optivus.images] {image.name}: cuda-torch, but the lock has no torch")
        constraints.append(f"torch==={public(torch.version)}")  # === : not the +cpu build
    # The image's own packages keep their versions unless upgraded.
    keep = [p for p in previous.values()
            if p.section == "image-only" and upgrade != ["all"] and p.name not in map(canon, upgrade)]
    target = f".[{','.join(image.extras)}]" if image.extras else "."
    targets = [target] + [str(r) for r in build_requirements(pyproject)]
    installs = resolve(targets, constraints + [f"{p.name}=={p.version}" for p in keep])
    if installs is None and keep:
        installs = resolve(targets, constraints)
    if installs is None:
        sys.exit(f"pip could not resolve the {image.name} image ({target}) against requirements/lock.txt")

    from_lock, own = [], []
    for item in installs:
        name, version = canon(item["metadata"]["name"]), item["metadata"]["version"]
        if name == PROJECT:
            continue
        pin = pins.get(name)
        if pin and pin.version == version and not (image.cuda_torch and name == "torch"):
            from_lock.append(pin)
        elif pin and not (image.cuda_torch and name == "torch"):
            sys.exit(f"{image.name}: pip chose {name} {version}, requirements/lock.txt has {pin.version}")
        else:
            old = next((p for p in keep if p.name == name and p.version == version), None)
            hashes = old.hashes if old and not conflicted else sorted(file_hashes(item))
            own.append(pin_block(name, version, hashes))
    write_image(pyproject, image, pins, from_lock, own)
    return "resolved"


def write_image(pyproject: dict, image: Image, pins: dict[str, Pin],
                from_lock: list[Pin], own: list[list[str]]) -> None:
    no_deps = []
    for req in no_deps_of(pyproject, image.extras):
        pin = pins.get(canon(req.name))
        if not pin or pin.section != "no-deps":
            sys.exit(f"{image.name}: {req} ([tool.optivus.no-deps]) is not in requirements/lock.txt "
                     "(only extras inside dev can have no-deps packages)")
        no_deps.append(pin)
    extras = ", ".join(image.extras) or "none: the core only"
    lines = [
        "#",
        f"# What services/{image.service}/Dockerfile installs, with",
        f"#    pip install --require-hashes --no-deps -r requirements/images/{image.name}.txt",
        f"# pyproject.toml's core and extras ({extras}) at the versions and hashes of",
        "# requirements/lock.txt (Python 3.11, Linux x86_64). Written by `make lock`; do not edit.",
        "#",
        f"{FINGERPRINT}{fingerprint(pyproject)}",
        "#",
    ]
    body = [line for pin in sorted(from_lock, key=lambda p: p.name) for line in pin.lines]
    if own:
        body += ["", IMAGE_ONLY_HEADER]
        if image.cuda_torch:
            body.append("# PyPI's CUDA build of torch and the CUDA packages it needs.")
        body += [line for block in sorted(own) for line in block]
    if no_deps:
        body += ["", NO_DEPS_HEADER]
        body += [line for pin in sorted(no_deps, key=lambda p: p.name) for line in pin.lines]
    held = parse_pins("\n".join(body))
    lines.insert(-1, f"{INPUTS}{image_inputs(pyproject, image, pins, held)} (make lock asks pip again when it changes)")
    IMAGES.mkdir(parents=True, exist_ok=True)
    image.path.write_text("\n".join(lines + body) + "\n")


def lock(upgrade: list[str]) -> None:
    if sys.version_info[:2] != PYTHON:
        sys.exit(f"make lock runs with Python {PYTHON[0]}.{PYTHON[1]} (the lock is for it), not {sys.version.split()[0]}")
    pyproject = load_pyproject()
    before = {n: p.version for n, p in parse_pins(our_side(LOCK.read_text()) if LOCK.exists() else "").items()}
    known = set(before) | {n for i in images(pyproject) for n in parse_pins(our_side(
        i.path.read_text()) if i.path.exists() else "")}
    for name in upgrade:
        if name != "all" and canon(name) not in known:
            print(f"warning: UPGRADE names {name}, which nothing locks (a typo?)")
    print("pip-compile: the dev set (every extra) -> requirements/lock.txt", flush=True)
    compile_lock(pyproject, upgrade)
    pins = read_pins(LOCK)
    configured = images(pyproject)
    # Three at a time: pip mostly waits on downloads.
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        done = list(pool.map(lambda i: lock_image(pyproject, i, pins, upgrade), configured))
    for image, how in zip(configured, done):
        print(f"requirements/images/{image.name}.txt: {how}")
    for stale in set(IMAGES.glob("*.txt")) - {image.path for image in configured}:
        stale.unlink()
    after = {n: p.version for n, p in pins.items()}
    changes = [f"  {n}: {before.get(n, '(new)')} -> {after.get(n, '(removed)')}"
               for n in sorted(set(before) | set(after)) if before.get(n) != after.get(n)]
    print(f"requirements/lock.txt: {len(pins)} packages, {len(changes)} changed"
          + "".join(f"\n{c}" for c in changes))
    problems = check(pyproject)
    if problems:
        sys.exit("the new lock does not pass its own checks:\n" + "\n".join(problems))


# --- checks (tests/test_dependency_lock.py) ---------------------------------

def satisfied(req, pin: Pin | None) -> bool:
    return pin is not None and req.specifier.contains(pin.version, prereleases=True)


def check_lock(pyproject: dict) -> list[str]:
    """How requirements/lock.txt disagrees with pyproject.toml (empty: it agrees)."""
    if not LOCK.exists():
        return ["requirements/lock.txt is missing: run `make lock`"]
    problems = []
    if read_fingerprint(LOCK) != fingerprint(pyproject):
        problems.append("pyproject.toml's dependencies changed after requirements/lock.txt was made: "
                        "run `make lock` and commit requirements/")
    pins = read_pins(LOCK)
    direct = requirements_of(pyproject, ["dev"]) + build_requirements(pyproject)
    for req in direct:
        if not satisfied(req, pins.get(canon(req.name))):
            found = pins.get(canon(req.name))
            problems.append(f"pyproject.toml asks for {req}; requirements/lock.txt has "
                            f"{found.version if found else 'nothing'}: run `make lock`")
    for req in no_deps_of(pyproject, ["dev"]):
        pin = pins.get(canon(req.name))
        if not satisfied(req, pin) or pin.section != "no-deps":
            problems.append(f"[tool.optivus.no-deps] {req} is not in requirements/lock.txt's no-deps section: run `make lock`")
    named = {canon(r.name) for r in direct} | {canon(r.name) for r in no_deps_of(pyproject, ["dev"])}
    for pin in pins.values():
        if not pin.hashes:
            problems.append(f"{pin.name} has no hash in requirements/lock.txt: run `make lock`")
        if pin.section == "no-deps":
            if pin.name not in named:
                problems.append(f"{pin.name} (no-deps) is in requirements/lock.txt but not in [tool.optivus.no-deps]: run `make lock`")
            continue
        parents = [canon(v.split()[0]) for v in pin.via]
        if not parents:
            problems.append(f"{pin.name} in requirements/lock.txt says nothing needs it: run `make lock`")
        elif PROJECT in parents and pin.name not in named and not any(p in pins for p in parents if p != PROJECT):
            problems.append(f"{pin.name} is in requirements/lock.txt for pyproject.toml, which no longer "
                            "asks for it: run `make lock`")
        elif PROJECT not in parents and not any(p in pins for p in parents):
            problems.append(f"{pin.name} in requirements/lock.txt is needed only by {', '.join(pin.via)}, "
                            "which are not locked: run `make lock`")
    torch = pins.get("torch")
    if torch and "+cpu" not in torch.version:
        problems.append(f"requirements/lock.txt has torch {torch.version}, not the CPU build")
    return problems


def check_images(pyproject: dict) -> list[str]:
    """How requirements/images/ disagrees with the lock, pyproject.toml and
    the Dockerfiles (empty: they agree)."""
    problems = []
    pins = read_pins(LOCK)
    optional = pyproject["project"].get("optional-dependencies", {})
    configured = images(pyproject)
    dockerfiles = {p.parent.name for p in (ROOT / "services").glob("*/Dockerfile")}
    for name in sorted(dockerfiles - {i.service for i in configured}):
        problems.append(f"services/{name}/Dockerfile has no [tool.optivus.images] entry in pyproject.toml")
    for image in configured:
        where = f"requirements/images/{image.name}.txt"
        if not image.path.exists():
            problems.append(f"{where} is missing: run `make lock`")
            continue
        for extra in image.extras:
            if extra not in optional:
                problems.append(f"[tool.optivus.images] {image.name}: there is no extra {extra!r}")
        if image.name in optional and image.name not in image.extras:
            problems.append(f"[tool.optivus.images] {image.name}: add its extra {image.name!r} to extras, then `make lock`")
        if read_fingerprint(image.path) != fingerprint(pyproject):
            problems.append(f"{where} is older than pyproject.toml: run `make lock`")
        own = read_pins(image.path)
        for req in requirements_of(pyproject, image.extras) + build_requirements(pyproject):
            if not satisfied(req, own.get(canon(req.name))):
                problems.append(f"{where} does not satisfy {req}: run `make lock`")
        for req in no_deps_of(pyproject, image.extras):
            pin = own.get(canon(req.name))
            if not satisfied(req, pin) or pin.section != "no-deps":
                problems.append(f"{where} lacks {req} (no-deps): run `make lock`")
        for pin in own.values():
            locked = pins.get(pin.name)
            if pin.section == "image-only":
                if image.cuda_torch and pin.name == "torch":
                    if not locked or "+cpu" in pin.version or public(pin.version) != public(locked.version):
                        problems.append(f"{where}: torch {pin.version} is not the CUDA build of the locked "
                                        f"{locked.version if locked else 'torch'}: run `make lock`")
                elif locked:
                    problems.append(f"{where}: {pin.name} is in requirements/lock.txt but listed as the image's own")
            elif not locked or (locked.version, locked.hashes) != (pin.version, pin.hashes):
                problems.append(f"{where}: {pin.name} {pin.version} differs from requirements/lock.txt: run `make lock`")
        problems += check_dockerfile(image)
    return problems


def check_dockerfile(image: Image) -> list[str]:
    if not image.dockerfile.exists():
        return [f"services/{image.service}/Dockerfile is missing ([tool.optivus.images] names it)"]
    return dockerfile_problems(image.service, image.dockerfile.read_text(), image.name)


def dockerfile_problems(service: str, text: str, image: str | None = None) -> list[str]:
    """Every pip install in services/<service>/Dockerfile is pinned: the
    image's set from requirements/images/, with hashes, or the project
    itself without its dependencies."""
    where = f"services/{service}/Dockerfile"
    text = re.sub(r"\\\n", " ", text)
    installs = [line for line in text.splitlines()
                if re.search(r"\bpip3? install\b", line) and not line.lstrip().startswith("#")]
    problems = []
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, re.M))
    for base in re.findall(r"^FROM\s+(\S+)", text, re.M):
        resolved = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m[1], m[0]), base)
        if not resolved.startswith("python:3.11") and resolved != "build":
            problems.append(f"{where}: FROM {resolved}: the lock is for Python 3.11 (python:3.11-*)")
    wanted = f"requirements/images/{image or service}.txt"
    if not any(wanted in line for line in installs) and not re.search(
            rf"^COPY\s.*{re.escape(wanted)}\s", text, re.M):
        problems.append(f"{where} does not install {wanted}")
    for line in installs:
        command = line[re.search(r"\bpip3? install\b", line).start():]
        if re.search(r"(\s-r\s|--requirement)", command):
            if "--require-hashes" not in command or "--no-deps" not in command:
                problems.append(f"{where}: install the set with --require-hashes --no-deps: {command.strip()}")
        elif not ("--no-deps" in command and re.search(r"\s\.(\s|$)", command)):
            problems.append(f"{where}: unpinned pip install: {command.strip()}")
    return problems


def check(pyproject: dict | None = None) -> list[str]:
    pyproject = pyproject or load_pyproject()
    return check_lock(pyproject) + check_images(pyproject)


# --- scripts/bootstrap.sh ---------------------------------------------------

def editable(dist) -> bool:
    direct = dist.read_text("direct_url.json")
    return bool(direct) and json.loads(direct).get("dir_info", {}).get("editable", False)


def extraneous() -> list[str]:
    """Installed here, but not in the lock; editable installs (the project
    and its local dev packages) are not the lock's business."""
    from importlib import metadata
    pins = read_pins(LOCK)
    installed = {canon(d.metadata["Name"]) for d in metadata.distributions() if not editable(d)}
    return sorted(installed - set(pins) - {PROJECT})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    lock_cmd = sub.add_parser("lock", help="refresh requirements/lock.txt and requirements/images/")
    lock_cmd.add_argument("--upgrade", default="",
                          help='"all", or the packages to move to their newest allowed version, space-separated')
    sub.add_parser("check", help="how the lock disagrees with pyproject.toml, the images and the Dockerfiles")
    sub.add_parser("extraneous", help="installed packages the lock does not list")
    pins_cmd = sub.add_parser("pins", help="these packages' lines of requirements/lock.txt")
    pins_cmd.add_argument("names", nargs="+")
    args = parser.parse_args()
    if args.command == "lock":
        lock(args.upgrade.split())
    elif args.command == "check":
        problems = check()
        print("\n".join(problems) or "requirements/ agrees with pyproject.toml and the Dockerfiles")
        sys.exit(1 if problems else 0)
    elif args.command == "pins":
        pins = read_pins(LOCK)
        missing = [n for n in args.names if canon(n) not in pins]
        if missing:
            sys.exit(f"not in requirements/lock.txt: {' '.join(missing)}")
        print("\n".join(line for n in args.names for line in pins[canon(n)].lines))
    else:
        print("\n".join(extraneous()))


if __name__ == "__main__":
    main()
