"""Issue 18 item 3 for the desk, abandoned checkouts, couriers, embed and the operator pages: a
request or a job commits at its boundary (app.py, jobs/runner.py); these modules only flush, and
where a step must commit earlier it says why through backend/commits.py (before_remote_call,
claim, keep_progress). A bare db.session.commit() here is a commit nobody explained."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    [*ROOT.glob("backend/desk/*.py"), *ROOT.glob("backend/abandoned/*.py"), *ROOT.glob("backend/operator/*.py"),
     *ROOT.glob("backend/couriers/*.py"),
     ROOT / "backend/embed/service.py"])


def bare_commits(source: str) -> list[int]:
    """Lines calling `<anything>.session.commit()`."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "session"]


def test_these_modules_commit_only_through_the_named_helpers():
    assert len(MODULES) > 20
    found = {str(path.relative_to(ROOT)): lines for path in MODULES if (lines := bare_commits(path.read_text()))}
    assert found == {}


def test_the_check_sees_a_bare_commit():
    assert bare_commits("def f():\n    x = 1\n    db.session.commit()\n") == [3]
    assert bare_commits("def f():\n    keep_progress()\n") == []
