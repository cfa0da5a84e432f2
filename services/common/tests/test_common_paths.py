from pathlib import Path

import pytest

from optivus_common.errors import InvalidArgument, NotFound, PermissionDenied
from optivus_common.paths import resolve_under_roots


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.wav").write_bytes(b"RIFF")
    (root / "empty.wav").write_bytes(b"")
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    (root / "out.wav").symlink_to(secret)
    (root / "in.wav").symlink_to(root / "sub" / "a.wav")
    (root / "dirlink").symlink_to(tmp_path)
    (root / "loop").symlink_to(root / "loop")
    return root


def test_files_under_a_root_resolve(tree):
    assert resolve_under_roots(str(tree / "sub" / "a.wav"), [tree]) == tree / "sub" / "a.wav"
    assert resolve_under_roots(str(tree / "in.wav"), [tree]) == tree / "sub" / "a.wav"
    assert resolve_under_roots(str(tree / "sub" / ".." / "sub" / "a.wav"), [tree]) == tree / "sub" / "a.wav"


def test_relative_paths_resolve_against_the_working_directory(tree, monkeypatch):
    monkeypatch.chdir(tree)
    assert resolve_under_roots("sub/a.wav", [tree]) == tree / "sub" / "a.wav"


@pytest.mark.parametrize("name", ["out.wav", "dirlink/secret.txt", "../secret.txt", "sub/../../secret.txt"])
def test_escapes_are_refused(tree, name):
    with pytest.raises(PermissionDenied) as err:
        resolve_under_roots(str(tree / name), [tree])
    assert err.value.reason == "PATH_OUTSIDE_MEDIA_ROOTS"


def test_outside_is_refused_before_existence_is_told(tree):
    with pytest.raises(PermissionDenied):
        resolve_under_roots("/etc/passwd", [tree])
    with pytest.raises(PermissionDenied):
        resolve_under_roots("/no/such/file", [tree])


def test_a_sibling_with_the_roots_prefix_is_outside(tree):
    sibling = Path(str(tree) + "-evil")
    sibling.mkdir()
    (sibling / "x.wav").write_bytes(b"x")
    with pytest.raises(PermissionDenied):
        resolve_under_roots(str(sibling / "x.wav"), [tree])


@pytest.mark.parametrize("name, error, reason", [
    ("missing.wav", NotFound, "FILE_NOT_FOUND"),
    ("sub", InvalidArgument, "NOT_A_FILE"),
    ("empty.wav", InvalidArgument, "EMPTY_FILE"),
    ("", InvalidArgument, "FILE_MISSING"),
    ("a\x00b", InvalidArgument, "INVALID_PATH"),
])
def test_other_refusals(tree, name, error, reason):
    raw = str(tree / name) if name and "\x00" not in name else name
    with pytest.raises(error) as err:
        resolve_under_roots(raw, [tree])
    assert err.value.reason == reason


def test_symlink_loop_is_a_clear_error(tree):
    with pytest.raises((InvalidArgument, NotFound)):
        resolve_under_roots(str(tree / "loop"), [tree])


@pytest.mark.parametrize("name", ["a" * 300 + ".wav", "x/" * 3000 + "y.wav", "empty.wav/child.wav"])
def test_names_the_filesystem_cannot_take_are_a_clear_error(tree, name):
    with pytest.raises(InvalidArgument) as err:
        resolve_under_roots(str(tree / name), [tree])
    assert err.value.reason == "INVALID_PATH"


def test_errors_never_show_the_resolved_server_path(tree, monkeypatch):
    monkeypatch.chdir(tree)
    for raw in ("missing.wav", "sub", "empty.wav", "a" * 300, "../secret.txt"):
        with pytest.raises((InvalidArgument, NotFound, PermissionDenied)) as err:
            resolve_under_roots(raw, [tree])
        assert str(tree) not in err.value.message, raw
