"""Every setting a service reads is documented in the README."""

import importlib
import pkgutil
from pathlib import Path

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parent.parent


def settings_classes() -> list[type[BaseSettings]]:
    found = []
    for folder in sorted((ROOT / "services").iterdir()):
        for package in folder.glob("optivus_*"):
            for module in pkgutil.walk_packages([str(package)], prefix=f"{package.name}."):
                if module.name.endswith(("config", "settings", "launcher")):
                    mod = importlib.import_module(module.name)
                    found += [v for v in vars(mod).values()
                              if isinstance(v, type) and issubclass(v, BaseSettings) and v is not BaseSettings]
    return found


def env_names(cls: type[BaseSettings]) -> set[str]:
    names = set()
    for field in cls.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(a for a in alias.choices if isinstance(a, str))
    return names


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    classes = settings_classes()
    assert len(classes) >= 3
    missing = sorted({f"{cls.__module__}: {name}" for cls in classes for name in env_names(cls)
                      if f"`{name}`" not in readme})
    assert not missing, f"document these settings in README.md: {missing}"
