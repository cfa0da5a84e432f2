"""The layer contracts (.importlinter) hold and the protos pass `buf lint`
(protos/buf.yaml), both offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_layer_contracts_hold():
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_protos_pass_buf_lint():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "buf_lint.py")], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_buf_lint_reports_a_broken_rule(tmp_path, monkeypatch):
    """The check can fail: a proto that breaks STANDARD is reported."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import buf_lint
    finally:
        sys.path.pop(0)
    fake = tmp_path / "protos"
    (fake / "optivus" / "x" / "v1").mkdir(parents=True)
    (fake / "buf.yaml").write_text((ROOT / "protos" / "buf.yaml").read_text())
    (fake / "optivus" / "x" / "v1" / "x.proto").write_text(
        'syntax = "proto3";\npackage optivus.x.v1;\nenum Colour { RED = 0; }\n')
    monkeypatch.setattr(buf_lint, "PROTOS", fake)
    result = buf_lint.lint()
    assert result.returncode != 0
    assert "_UNSPECIFIED" in result.stdout
