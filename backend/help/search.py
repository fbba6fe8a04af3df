"""Searching the help articles: PostgreSQL's full-text search in production, SQLite's FTS5 in
the embedded default, behind one function.

Both index the title (weighted above the body) and the body's plain words with a tokenizer
that keeps Bangla words whole: PostgreSQL's 'simple' configuration (no English stemming to
mangle Bangla) in a stored tsvector column with a GIN index, and FTS5's unicode61 told that vowel signs and
the hasanta (Unicode marks) belong to a word, not between words (its default splits
"পার্সেল" into "প", "র", "স", "ল"). Every word of the query must appear, as a word's start
("কুরিয়ার" finds "কুরিয়ারে"), best matches first, each with a snippet around the words found."""
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
# letters, digits and the Bengali block (its vowel signs and hasanta are marks, not letters)
_TERM = re.compile(r"(?:[^\W_]|[\u0980-\u09ff])+")
# the snippet's highlight, as characters no article holds (plain_text drops control characters)
_START, _STOP = "\x01", "\x02"
_PG_HEADLINE = f'StartSel={_START}, StopSel={_STOP}, MaxWords=28, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "'


@dataclass
class Hit:
    article_id: int
    rank: float
    snippet: Markup


def query_terms(query: str) -> list[str]:
    terms = [term[:MAX_TERM_LENGTH] for term in _TERM.findall((query or "").lower())]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def _snippet(raw: str | None) -> Markup:
    escaped = str(escape(raw or ""))
    return Markup(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))


def _postgresql(terms, published_only, limit):
    # terms hold letters, digits and Bengali marks only: nothing tsquery reads as an operator
    tsquery = " & ".join(f"'{term}':*" for term in terms)
    published = "AND a.published" if published_only else ""
    rows = db.session.execute(text(f"""
        WITH q AS (SELECT to_tsquery('simple', :tsquery) AS q),
        hits AS (
            SELECT a.id, a.search_text, ts_rank(a.search_vector, q.q) AS rank
            FROM help_articles a, q
            WHERE a.search_vector @@ q.q {published}
            ORDER BY rank DESC, a.id LIMIT :limit)
        SELECT hits.id, hits.rank, ts_headline('simple', hits.search_text, q.q, :headline)
        FROM hits, q ORDER BY hits.rank DESC, hits.id"""),
        {"tsquery": tsquery, "limit": limit, "headline": _PG_HEADLINE}).all()
    return [Hit(row[0], float(row[1]), _snippet(row[2])) for row in rows]


def _sqlite(terms, published_only, limit):
    match = " AND ".join(f'"{term}"*' for term in terms)
    published = "AND a.published = 1" if published_only else ""
    # the best `limit` first, then snippets for those only: a snippet reads its whole article,
    # and a common word matches hundreds
    rows = db.session.execute(text(f"""
        WITH top AS (
            SELECT {FTS5_TABLE}.rowid AS id, bm25({FTS5_TABLE}, 10.0, 1.0) AS rank
            FROM {FTS5_TABLE} JOIN help_articles a ON a.id = {FTS5_TABLE}.rowid
            WHERE {FTS5_TABLE} MATCH :match {published}
            ORDER BY rank, id LIMIT :limit)
        SELECT top.id, top.rank, snippet({FTS5_TABLE}, 1, :start, :stop, ' … ', 24)
        FROM top JOIN {FTS5_TABLE} ON {FTS5_TABLE}.rowid = top.id
        WHERE {FTS5_TABLE} MATCH :match
        ORDER BY top.rank, top.id"""),
        {"match": match, "limit": limit, "start": _START, "stop": _STOP}).all()
    # bm25 is smaller for a better match; turned round so that larger is better on both
    return [Hit(row[0], -float(row[1]), _snippet(row[2])) for row in rows]


def search(query: str, *, published_only: bool = True, limit: int = 20) -> list[Hit]:
    """The articles every word of `query` appears in, best first, with snippets."""
    terms = query_terms(query)
    if not terms:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return _postgresql(terms, published_only, limit)
    return _sqlite(terms, published_only, limit)
