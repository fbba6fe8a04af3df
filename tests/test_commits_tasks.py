"""backend/tasks commits only at the task boundary: a task run commits in execution.py (when it
returns, and the dead letter of one that gave up), and queue.py commits once, in the unit tests'
inline mode, before running the task in the caller's process. Everything else in the package
(jobs, dead letters, the console's figures, the package's own task) only flushes; a step that
must commit earlier says why through backend/commits.py."""
import ast
from pathlib import Path

from tests.test_commits_desk_couriers import bare_commits

TASKS = Path(__file__).resolve().parents[1] / "backend" / "tasks"


def _function_of(source: str, line: int) -> str:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= node.end_lineno:
            return node.name
    return "<module>"


def test_backend_tasks_commits_only_at_the_task_boundary():
    found = {}
    for path in sorted(TASKS.glob("*.py")):
        source = path.read_text()
        for line in bare_commits(source):
            found.setdefault(path.name, set()).add(_function_of(source, line))
    assert found == {
        "execution.py": {"_run_committing", "run_inline", "after_process_message"},
        "queue.py": {"enqueue"},  # inline mode only
    }


def test_queue_commits_only_in_inline_mode():
    source = (TASKS / "queue.py").read_text()
    guarded = [node for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.If) and "inline" in ast.unparse(node.test)
               and any(node.lineno <= line <= node.end_lineno for line in bare_commits(source))]
    assert len(bare_commits(source)) == 1 and guarded, "enqueue commits only when the broker is inline://"
