"""The committed stubs are exactly what `make protos` generates now."""

import filecmp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "protos" / "gen" / "python"


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_generated_stubs_are_fresh(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_protos.py"), str(tmp_path)], check=True)
    assert tree(tmp_path) == tree(COMMITTED), "run `make protos` and commit protos/gen"
    stale = [name for name in sorted(tree(tmp_path))
             if not filecmp.cmp(tmp_path / name, COMMITTED / name, shallow=False)]
    assert not stale, f"stale generated files (run `make protos`): {stale}"


def test_every_proto_package_matches_its_folder():
    for proto in (ROOT / "protos" / "optivus").rglob("*.proto"):
        package = next(line.split()[1].rstrip(";") for line in proto.read_text().splitlines()
                       if line.startswith("package "))
        assert package == ".".join(proto.parent.relative_to(ROOT / "protos").parts), proto
