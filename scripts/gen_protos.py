"""Generates the Python gRPC stubs from protos/ (run by `make protos`).

Usage: python scripts/gen_protos.py [OUT_DIR]   (default protos/gen/python)
tests/test_protos_fresh.py runs it into a temporary folder and compares.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "protos"
DEFAULT_OUT = PROTO_DIR / "gen" / "python"


def proto_files() -> list[Path]:
    return sorted(p for p in (PROTO_DIR / "optivus").rglob("*.proto"))


def include_dirs() -> list[str]:
    grpc_tools_protos = resources.files("grpc_tools") / "_proto"
    # googleapis-common-protos ships google/rpc/*.proto beside its modules.
    import google.rpc.status_pb2 as status_pb2

    googleapis = Path(status_pb2.__file__).resolve().parent.parent.parent
    return [str(PROTO_DIR), str(grpc_tools_protos), str(googleapis)]


def generate(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [str(p.relative_to(PROTO_DIR)) for p in proto_files()]
    args = ["grpc_tools.protoc"]
    args += [f"-I{d}" for d in include_dirs()]
    args += [f"--python_out={out_dir}", f"--pyi_out={out_dir}", f"--grpc_python_out={out_dir}"]
    args += files
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    # Regular packages, so that setuptools finds them and imports are plain.
    for pkg in {out_dir / Path(f).parent for f in files}:
        while pkg != out_dir:
            init = pkg / "__init__.py"
            if not init.exists():
                init.write_text("")
            pkg = pkg.parent


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
