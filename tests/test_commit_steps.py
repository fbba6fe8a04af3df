"""Issue 18 item 3: operations flush; the request or the job commits. A flow that must commit in
steps does it through backend/commits.py (`one_at_a_time`, `remote_step`, `before_remote_call`,
`claim`, `lease`, `keep_progress`), and there are few of them: a pattern many flows share (each item of a
walk kept on its own, a remote call with its answer kept) is one helper, not a commit per call
site. This counts the steps in backend/ and refuses more than CEILING; lower it when a step goes."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"
HELPERS = {"before_remote_call", "claim", "keep_progress", "lease", "one_at_a_time", "remote_step"}
# 27 after issue 18's first rounds, 34 once every task that only read before it asks ended its
# reading transaction by hand; 25 since the adapters announce every call (integrations.signals
# .asking) and commits.on_asking ends a reading transaction there, for every caller at once
CEILING = 25


def commit_steps(source: str) -> list[int]:
    """Lines calling a backend/commits.py helper (imported by name or through `commits.`)."""
    tree = ast.parse(source)
    named = {alias.asname or alias.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "backend.commits"
             for alias in node.names if alias.name in HELPERS}
    module = any(isinstance(node, ast.ImportFrom) and node.module == "backend"
                 and any(alias.name == "commits" for alias in node.names) for node in ast.walk(tree))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in named:
            lines.append(node.lineno)
        elif (module and isinstance(func, ast.Attribute) and func.attr in HELPERS
              and isinstance(func.value, ast.Name) and func.value.id == "commits"):
            lines.append(node.lineno)
    return sorted(lines)


def steps_by_file() -> dict[str, list[int]]:
    found = {}
    for path in sorted(BACKEND.rglob("*.py")):
        if path.name == "commits.py" and path.parent == BACKEND:
            continue
        if lines := commit_steps(path.read_text()):
            found[str(path.relative_to(ROOT))] = lines
    return found


def test_the_count_sees_every_way_a_step_is_called():
    assert commit_steps("from backend.commits import claim\ndef f():\n    claim()\n") == [3]
    assert commit_steps("from backend import commits\ndef f():\n    for x in commits.one_at_a_time([]):\n"
                        "        pass\n    with commits.remote_step():\n        pass\n") == [3, 5]
    # a domain's own function called claim is not a step
    assert commit_steps("def claim(x):\n    return x\nclaim(1)\n") == []


def test_few_step_commits_are_left_in_the_domains():
    found = steps_by_file()
    total = sum(len(lines) for lines in found.values())
    assert total <= CEILING, f"{total} step commits (at most {CEILING}); share a helper instead: {found}"


def test_one_at_a_time_commits_before_each_item_and_after_the_last(app, monkeypatch):
    from backend import commits
    from backend.extensions import db
    events = []

    def pages():
        for page in (1, 2):
            events.append(f"ask {page}")  # a remote walk asks for its next page here
            yield page

    with app.app_context():
        monkeypatch.setattr(db.session, "commit", lambda: events.append("commit"))
        for page in commits.one_at_a_time(pages()):
            events.append(f"store {page}")
    assert events == ["commit", "ask 1", "store 1", "commit", "ask 2", "store 2", "commit"]


def test_remote_step_keeps_the_answer_unless_the_block_raised(app, monkeypatch):
    from backend import commits
    from backend.extensions import db
    events = []
    with app.app_context():
        monkeypatch.setattr(db.session, "commit", lambda: events.append("commit"))
        with commits.remote_step():
            events.append("ask")
        try:
            with commits.remote_step():
                raise RuntimeError("the service did not answer")
        except RuntimeError:
            events.append("raised")
    assert events == ["commit", "ask", "commit", "commit", "raised"]


def test_a_lease_is_seen_at_once_and_let_go_with_the_outcome_even_after_a_failure(app, monkeypatch):
    from backend import commits
    from backend.extensions import db
    events = []
    with app.app_context():
        monkeypatch.setattr(db.session, "commit", lambda: events.append("commit"))
        monkeypatch.setattr(db.session, "rollback", lambda: events.append("rollback"))
        with commits.lease(let_go=lambda: events.append("let go")):
            events.append("run")
        try:
            with commits.lease(let_go=lambda: events.append("let go")):
                raise RuntimeError("the shop failed")
        except RuntimeError:
            events.append("raised")
    assert events == ["commit", "run", "let go", "commit",
                      "commit", "rollback", "let go", "commit", "raised"]
