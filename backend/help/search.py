"""Searching the help articles: PostgreSQL's full-text search in production, SQLite's FTS5 in
the embedded default, behind one function.

Both index the title (weighted above the body) and the body's plain words with a tokenizer
that keeps Bangla words whole: PostgreSQL's 'simple' configuration (no English stemming to
mangle Bangla) in a stored tsvector column with a GIN index, and FTS5's unicode61 told that vowel signs and
the hasanta (Unicode marks) belong to a word, not between words (its default splits
"পার্সেল" into "প", "র", "স", "ল"). Every word of the query must appear, as a word's start
("কুরিয়ার" finds "কুরিয়ারে"), best matches first; `snippet` quotes the words around them."""
import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import text

from backend.extensions import db

# Made by migrations/versions/1000_help_articles.py, beside the model (neither fits both
# databases): on PostgreSQL the stored column help_articles.search_vector and its GIN index, on
# SQLite the FTS5 table, kept in step by triggers.
FTS5_TABLE = "help_search"

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
# a word's characters: letters, digits and the Bengali block (its vowel signs and hasanta are
# marks, not letters, for Python as for FTS5's default)
_WORD = r"(?:[^\W_]|[\u0980-\u09ff])"
_TERM = re.compile(f"{_WORD}+")
SNIPPET_CHARACTERS = 220


@dataclass
class Hit:
    article_id: int
    rank: float  # larger is better, on both databases


def query_terms(query: str) -> list[str]:
    terms = [term[:MAX_TERM_LENGTH] for term in _TERM.findall((query or "").lower())]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def snippet(text_: str, terms: list[str]) -> Markup:
    """A window of the article's plain words around the first word the search found, each
    found word marked. Made here, not by the databases: PostgreSQL's ts_headline re-parses the
    whole article (two thirds of a search's time at 1,000 articles), and both quote alike."""
    text_ = text_ or ""
    found = re.compile(f"(?<!{_WORD})(?:{'|'.join(map(re.escape, terms))}){_WORD}*", re.IGNORECASE) if terms else None
    first = found.search(text_) if found else None
    start = 0 if first is None else max(0, first.start() - SNIPPET_CHARACTERS // 3)
    if start:
        start = text_.find(" ", start) + 1 or start  # from a word's start
    end = min(len(text_), start + SNIPPET_CHARACTERS)
    if end < len(text_) and text_.rfind(" ", start, end) > start:
        end = text_.rfind(" ", start, end)  # to a word's end
    window = text_[start:end]
    pieces, at = [], 0
    for match in (found.finditer(window) if found else ()):
        pieces += [str(escape(window[at:match.start()])), f"<mark>{escape(match.group(0))}</mark>"]
        at = match.end()
    pieces.append(str(escape(window[at:])))
    return Markup(("… " if start else "") + "".join(pieces) + (" …" if end < len(text_) else ""))


def _postgresql(terms, published_only, limit):
    # terms hold letters, digits and Bengali marks only: nothing tsquery reads as an operator
    tsquery = " & ".join(f"'{term}':*" for term in terms)
    published = "AND a.published" if published_only else ""
    rows = db.session.execute(text(f"""
        SELECT a.id, ts_rank(a.search_vector, q) AS rank
        FROM help_articles a, to_tsquery('simple', :tsquery) q
        WHERE a.search_vector @@ q {published}
        ORDER BY rank DESC, a.id LIMIT :limit"""), {"tsquery": tsquery, "limit": limit}).all()
    return [Hit(row[0], float(row[1])) for row in rows]


def _sqlite(terms, published_only, limit):
    match = " AND ".join(f'"{term}"*' for term in terms)
    published = "AND a.published = 1" if published_only else ""
    rows = db.session.execute(text(f"""
        SELECT a.id, bm25({FTS5_TABLE}, 10.0, 1.0) AS rank
        FROM {FTS5_TABLE} JOIN help_articles a ON a.id = {FTS5_TABLE}.rowid
        WHERE {FTS5_TABLE} MATCH :match {published}
        ORDER BY rank, a.id LIMIT :limit"""), {"match": match, "limit": limit}).all()
    # bm25 is smaller for a better match; turned round so that larger is better on both
    return [Hit(row[0], -float(row[1])) for row in rows]


def search(query: str, *, published_only: bool = True, limit: int = 20) -> list[Hit]:
    """The articles every word of `query` appears in, best first."""
    terms = query_terms(query)
    if not terms:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return _postgresql(terms, published_only, limit)
    return _sqlite(terms, published_only, limit)
