"""sources.yaml validation: every bad file stops every command with exit 2, naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from observatory.cli.main import main
from observatory.config import SETTINGS, Settings, load_config, parse_config, parse_duration
from observatory.errors import ConfigError

GOOD_SOURCE = (
    "sources:\n  - id: ema-ai\n    url: https://www.ema.europa.eu/en/ai\n    select: main\n"
)

BAD_FILES = {
    "yaml syntax": ("sources:\n  - id: a\n    url: [unclosed\n", ["YAML syntax error", "line"]),
    "unknown key": (
        GOOD_SOURCE + "    selector: main\n",
        ["unknown key 'selector'", "ema-ai", "line 5"],
    ),
    "missing url": (
        "sources:\n  - id: ema-ai\n    select: main\n",
        ["missing required key 'url'", "ema-ai"],
    ),
    "bad scheme": (
        "sources:\n  - id: x\n    url: ftp://example.org/a\n",
        ["bad URL scheme", "'x'"],
    ),
    "bad css": (
        "sources:\n  - id: x\n    url: https://e.org/\n    select: 'div[class='\n",
        ["invalid CSS selector", "'x'"],
    ),
    "bad ignore css": (
        "sources:\n  - id: x\n    url: https://e.org/\n    ignore: ['..a']\n",
        ["ignore: invalid CSS selector"],
    ),
    "duplicate id": (
        GOOD_SOURCE + GOOD_SOURCE.removeprefix("sources:\n"),
        ["duplicate source id", "ema-ai", "line 5"],
    ),
    "bad duration": (
        "sources:\n  - id: x\n    url: https://e.org/\n    every: 5 minutes\n",
        ["invalid duration '5 minutes'", "'x'"],
    ),
    "bad cron": (
        "sources:\n  - id: x\n    url: https://e.org/\n    cron: '99 * * * *'\n",
        ["invalid cron expression"],
    ),
    "unknown dimension": (
        "sources:\n  - id: x\n    url: https://e.org/\n    dimensions: [ai]\n",
        ["unknown dimension 'ai'"],
    ),
    "listing without items": (
        "sources:\n  - id: x\n    url: https://e.org/\n    kind: listing\n",
        ["needs 'items'"],
    ),
    "unknown setting": (
        "settings:\n  per_host_delai: 1\n",
        ["unknown setting 'per_host_delai'", "line 2"],
    ),
    "negative delay": (
        "settings:\n  per_host_delay: -1\n",
        ["per_host_delay", "greater than or equal to 0"],
    ),
    "not a mapping": ("- just\n- a list\n", ["expected a mapping"]),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("command", [["check"], ["sources"], ["changes"]])
def test_bad_file_exits_2_and_touches_nothing(
    tmp_path: Path, name: str, command: list[str]
) -> None:
    text, expected = BAD_FILES[name]
    config = tmp_path / "sources.yaml"
    config.write_text(text)
    db = tmp_path / "obs.db"
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *command])
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert str(config) in message
    for fragment in expected:
        assert fragment in message
    assert not db.exists(), "a bad configuration must not create or touch the database"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.yaml"), "sources"])
    assert result.exit_code == 2
    assert "nope.yaml: file not found" in result.stderr


def test_config_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "mine.yaml"
    config.write_text("sources:\n  - id: only-one\n    url: https://e.org/\n")
    result = CliRunner().invoke(
        main,
        ["sources", "--format", "json"],
        env={"OBSERVATORY_CONFIG": str(config), "OBSERVATORY_DB": str(tmp_path / "e.db")},
    )
    assert result.exit_code == 0, result.output
    assert '"only-one"' in result.output
    assert (tmp_path / "e.db").exists()


def test_shipped_sources_file_is_valid() -> None:
    config = load_config(Path(__file__).parents[2] / "sources.yaml")
    assert len(config.sources) >= 15
    kinds = {s.effective_kind for s in config.sources}
    assert {"page", "listing", "feed", "pdf"} <= kinds
    # the AI Act from the Publications Office (EUR-Lex challenges scripts), EUR-Lex feeds too
    assert config.source("eurlex-ai-act").url.endswith("/resource/celex/32024R1689")
    assert any("eur-lex.europa.eu" in s.url for s in config.sources)
    assert config.settings.per_host_delay == 1


def test_defaults_and_inference() -> None:
    config = parse_config(
        "sources:\n  - id: f\n    url: https://e.org/news.xml\n"
        "  - id: p\n    url: https://e.org/doc.pdf\n  - id: h\n"
        "    url: https://e.org/\n    every: 15m\n"
    )
    assert [s.effective_kind for s in config.sources] == ["feed", "pdf", "page"]
    assert config.sources[2].interval_seconds == 900
    assert config.settings.per_host_delay == 1.0
    assert parse_config("settings:\n  per_host_delay: 0\n").settings.per_host_delay == 0


def test_settings_declared_once() -> None:
    """Every Setting has a field with the same default, and vice versa."""
    fields = Settings.model_fields
    assert {s.name for s in SETTINGS} == set(fields)
    for setting in SETTINGS:
        assert fields[setting.name].default == setting.default, setting.name


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("6h", 21600), ("1d", 86400), (45, 45)]
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0s", "-1m", "1w", "soon", ""])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_error_names_file_line_and_source() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD_SOURCE + "  - id: two\n    url: gopher://x\n", "custom.yaml")
    text = str(info.value)
    assert text.startswith("custom.yaml, line 6, source 'two'")
