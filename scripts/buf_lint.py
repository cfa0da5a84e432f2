"""`buf lint` on protos/ without the Buf Schema Registry: the googleapis
protos the API imports (google/rpc) come from the googleapis-common-protos
wheel, put beside protos/optivus in a temporary workspace whose buf.yaml
takes its rules from protos/buf.yaml. Exits with buf's code.

Usage: python scripts/buf_lint.py"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"


def googleapis_root() -> Path:
    import google.rpc.status_pb2 as status_pb2

    return Path(status_pb2.__file__).resolve().parent.parent.parent


def buf_binary() -> str:
    local = Path(sys.executable).parent / "buf"
    found = str(local) if local.exists() else shutil.which("buf")
    if not found:
        raise SystemExit("buf not found: pip install buf-bin (part of the `dev` extra)")
    return found


def lint() -> subprocess.CompletedProcess:
    config = yaml.safe_load((PROTOS / "buf.yaml").read_text())
    with tempfile.TemporaryDirectory(prefix="buf-lint-") as tmp:
        work = Path(tmp)
        (work / "api").mkdir()
        (work / "api" / "optivus").symlink_to(PROTOS / "optivus")
        (work / "googleapis" / "google").mkdir(parents=True)
        (work / "googleapis" / "google" / "rpc").symlink_to(googleapis_root() / "google" / "rpc")
        workspace = {
            "version": "v2",
            "modules": [{"path": "api", "lint": config["lint"]},
                        {"path": "googleapis", "lint": {"use": ["MINIMAL"], "ignore": ["googleapis"]}}],
        }
        (work / "buf.yaml").write_text(yaml.safe_dump(workspace))
        return subprocess.run([buf_binary(), "lint", "--error-format", "text"], cwd=work, capture_output=True,
                              text=True, check=False)


def main() -> int:
    result = lint()
    sys.stdout.write(result.stdout.replace("api/optivus/", "protos/optivus/"))
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
