"""Print the ``articles`` and ``annexes`` of taxonomy.yaml's ``ai_act`` map from the act itself.

    python scripts/ai_act_map.py [../shared/corpus/ai-act/final-2024-1689-units.json]

Reads the per-unit JSON cut from the Official Journal page of Regulation (EU) 2024/1689 and prints
each article's and annex's number and title as YAML, to paste into observatory/taxonomy.yaml
(tests/tagging/test_act.py checks that the shipped map still matches the act). The subjects each
unit adds are not printed: the tagger reads them from the titles with ``ai_act.subjects``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

UNITS = Path(__file__).resolve().parents[2] / "shared/corpus/ai-act/final-2024-1689-units.json"


def titles(path: Path) -> dict[str, dict[str, str]]:
    """``{"articles": {"1": "Subject matter", ...}, "annexes": {"I": "List of ...", ...}}``."""
    found: dict[str, dict[str, str]] = {"articles": {}, "annexes": {}}
    for unit in json.loads(path.read_text(encoding="utf-8")):
        kind, _, number = unit["id"].partition("_")
        if kind not in ("art", "anx"):
            continue
        lines = [line.strip() for line in unit["text"].splitlines() if line.strip()]
        title = lines[1].rstrip("`").strip()
        found["articles" if kind == "art" else "annexes"][number] = title
    return found


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else UNITS
    for section, entries in titles(path).items():
        print(f"  {section}:")
        for number, title in entries.items():
            print(f"    {json.dumps(number)}: {json.dumps(title, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
