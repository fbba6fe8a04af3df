"""Shop staff read Bangla: a UI string without Bangla (or with a broken placeholder) fails here, not in a shop."""
import re
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "backend/translations"
# %(name)s / %(n)d, bare %s, {name} (SMS templates) and HTML tags must survive translation unchanged
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|</?\w+[^>]*>")


def _read(path):
    with path.open("rb") as f:
        return read_po(f, locale="bn")


def test_every_string_has_bangla_with_the_same_placeholders():
    catalog = _read(TRANSLATIONS / "bn/LC_MESSAGES/messages.po")
    template = _read(TRANSLATIONS / "messages.pot")
    assert {m.id for m in template if m.id} <= {m.id for m in catalog if m.id}, "run `make translations-update`"

    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"no Bangla: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(ids[0]))
        problems += [f"placeholders differ: {ids[0]!r} -> {s!r}" for s in strings if set(PLACEHOLDER.findall(s)) != wanted]
    assert not problems, "add Bangla in scripts/translate_bn.py and run it:\n" + "\n".join(problems)
