"""The sync commits in steps only through backend/commits.py, whose function names say why
(before a remote call, a claim, kept progress); everything else commits at the job or request
boundary. A bare `db.session.commit()` here would be a step nobody named."""
import ast
from pathlib import Path

SYNC = Path(__file__).resolve().parents[2] / "backend" / "sync"


def bare_commits(source: str) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
            and ast.unparse(node.func.value) in ("db.session", "session")]


def test_the_check_finds_a_bare_commit():
    assert bare_commits("from backend.extensions import db\ndef f():\n    db.session.commit()\n") == [3]
    assert bare_commits("from backend import commits\ndef f():\n    commits.keep_progress()\n") == []


def test_the_sync_commits_only_through_the_named_helpers():
    found = {path.name: lines for path in sorted(SYNC.glob("*.py")) if (lines := bare_commits(path.read_text()))}
    assert found == {}, f"commit through backend/commits.py, named by the reason: {found}"
