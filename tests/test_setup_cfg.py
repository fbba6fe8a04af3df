"""setup.cfg states the package and its dependencies; requirements*.txt are what `make
install` installs. The two lists must stay the same."""
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith(("#", "-r"))}


def test_install_requires_mirrors_requirements_txt():
    config = _setup_cfg()
    assert _lines(config["options"]["install_requires"]) == _lines((ROOT / "requirements.txt").read_text())
    assert _lines(config["options.extras_require"]["dev"]) == _lines((ROOT / "requirements-dev.txt").read_text())


def test_metadata_and_pytest_configuration():
    config = _setup_cfg()
    assert (config["metadata"]["name"], config["options"]["python_requires"]) == ("bikri", ">=3.11")
    assert config["metadata"]["version"]
    assert config["tool:pytest"]["testpaths"].split() == ["tests"]
