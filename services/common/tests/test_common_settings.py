from pathlib import Path

from optivus_common.settings import CommonSettings


def test_seed_variables_keep_their_names(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH_VIDEO", str(tmp_path / "v"))
    monkeypatch.setenv("FS_PATH", str(tmp_path / "fs"))
    monkeypatch.setenv("OPTIVUS_MEDIA_ROOTS", f"{tmp_path / 'a'}:{tmp_path / 'b'},{tmp_path / 'c'}")
    settings = CommonSettings()
    assert settings.path_video == tmp_path / "v"
    assert settings.fs_path == tmp_path / "fs"
    assert settings.media_roots == [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    roots = settings.allowed_roots
    assert roots[1:] == [(tmp_path / n).resolve() for n in ("v", "fs", "a", "b", "c")]
    assert roots[0] == Path("data").resolve()


def test_defaults_cover_the_data_folders():
    settings = CommonSettings()
    assert settings.allowed_roots == [Path(p).resolve() for p in ("data", "data/videos", "data/fs_audio")]
    assert ("grpc.max_receive_message_length", 64 * 1024 * 1024) in settings.grpc_options


def test_fields_can_be_given_by_name(tmp_path):
    assert CommonSettings(data_dir=tmp_path).data_dir == tmp_path
