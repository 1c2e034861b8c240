from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hrdwatch.config import ConfigError, load_config, parse_config, parse_duration
from tests.conftest import Hrdwatch


def test_durations() -> None:
    assert parse_duration("30s") == 30
    assert parse_duration("15m") == 900
    assert parse_duration("6h") == 21600
    assert parse_duration("1d") == 86400
    for bad in ("6 hours", "0s", "-1h", "h"):
        with pytest.raises(ValueError):
            parse_duration(bad)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sources": [{"id": "a", "url": "http://x/", "colour": "red"}]}, "source 'a', key 'colour': unknown key"),
        ({"sources": [{"id": "a"}]}, "source 'a', key 'url': required key is missing"),
        ({"sources": [{"id": "a", "url": "http://x/", "kind": "listing", "follow": "(["}]}, "source 'a', key 'follow'"),
        ({"sources": [{"id": "a", "url": "http://x/"}, {"id": "a", "url": "http://y/"}]}, "duplicate source id 'a'"),
        ({"sources": [{"id": "a", "url": "http://x/", "every": "6 hours"}]}, "source 'a', key 'every'"),
        ({"sources": [{"id": "a", "url": "ftp://x/"}]}, "source 'a', key 'url'"),
        ({"sources": [{"id": "a", "url": "http://x/", "select": "div[["}]}, "source 'a', key 'select'"),
        ({"sources": [{"id": "a", "url": "http://x/", "topics": ["nope"]}]}, "unknown topic 'nope'"),
        ({"databse": "sqlite://"}, "key 'databse': unknown key"),
    ],
)
def test_bad_config_names_source_and_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    assert message in str(info.value)


def test_builtin_default_config_is_valid() -> None:
    from hrdwatch.defaults import default_config_text

    config = parse_config(yaml.safe_load(default_config_text()))
    assert len(config.sources) >= 10
    assert "hrd-mechanism" in config.all_topics()


def test_topic_override_is_validated() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"topics": {"x": {"groups": {"a": {"terms": ["ok"]}}, "require": [["b"]]}}})
    assert "unknown group 'b'" in str(info.value)


def test_cli_exit_code_2_and_nothing_written(hrdwatch: Hrdwatch, tmp_path: Path) -> None:
    hrdwatch.config_path.write_text(
        yaml.safe_dump(
            {"database": hrdwatch.db_url, "sources": [{"id": "a", "url": "http://127.0.0.1:9/", "evry": "1h"}]}
        )
    )
    proc = hrdwatch.run("crawl", check=False)
    assert proc.returncode == 2
    assert "source 'a', key 'evry': unknown key" in proc.stderr
    assert not (tmp_path / "hrdwatch.db").exists()


def test_config_found_through_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("sources:\n  - id: s\n    url: https://example.org/\n")
    monkeypatch.setenv("HRDWATCH_CONFIG", str(path))
    loaded = load_config()
    assert loaded.path == path
    assert loaded.config.sources[0].id == "s"


def test_every_setting_is_documented_in_the_readme() -> None:
    from pydantic import BaseModel

    from hrdwatch.config import Config

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    reference = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]

    def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
        found = []
        for name, field in model.model_fields.items():
            key = field.alias or name
            found.append(prefix + key)
            annotation = field.annotation
            for candidate in (annotation, *getattr(annotation, "__args__", ())):
                inner = getattr(candidate, "__args__", (candidate,))
                for item in (candidate, *inner):
                    if isinstance(item, type) and issubclass(item, BaseModel) and item.__name__ != "TopicSpec":
                        found.extend(keys(item, f"{prefix}{key}."))
        return found

    missing = sorted({key for key in keys(Config) if f"{key.rsplit('.', 1)[-1]}:" not in reference})
    assert not missing, f"undocumented settings: {missing}"
