"""the help centre (H1): articles in Bangla and English, searched by PostgreSQL's full-text
search (a stored tsvector column with a GIN index) or SQLite's FTS5 (a table kept in step by triggers)

Revision ID: 1000
Revises: 1050
"""
from alembic import op
import sqlalchemy as sa

revision = '1000'
down_revision = '1050'
branch_labels = None
depends_on = None

# the title weighs more than the body; 'simple': no English stemming to mangle Bangla words
PG_VECTOR = "(setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', search_text), 'B'))"
# marks (vowel signs, the hasanta) are part of a word: the default splits Bangla words apart
FTS5_TOKENIZER = "unicode61 categories 'L* N* Co M*'"


def upgrade():
    op.create_table(
        'help_articles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('title', sa.String(length=160), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('page_key', sa.String(length=40), nullable=True),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('updated_by', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_help_articles')),
        sa.UniqueConstraint('slug', 'language', name='uq_help_articles_slug_language'),
        sa.UniqueConstraint('page_key', 'language', name='uq_help_articles_page_key_language'),
    )
    op.create_index('ix_help_articles_published', 'help_articles', ['published'])
    if op.get_bind().dialect.name == 'postgresql':
        # (PostgreSQL only, see backend/database.DATABASE_ONLY_COLUMNS and _INDEXES) the vector is
        # stored: ranking reads it instead of parsing every matching article again (an expression
        # index alone made a common word's search take a quarter of a second at 1,000 articles)
        op.execute(f"ALTER TABLE help_articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED")
        # kept uncompressed: a common word ranks hundreds of vectors, and decompressing each one
        # cost four times the ranking (tsvectors compress little anyway)
        op.execute("ALTER TABLE help_articles ALTER COLUMN search_vector SET STORAGE EXTERNAL")
        op.execute("CREATE INDEX ix_help_articles_search ON help_articles USING gin (search_vector)")
        return
    # (SQLite only, see backend/database.DATABASE_ONLY_TABLES) the index holds no copy of the
    # text (content=help_articles); the triggers keep it in step with every write. A later
    # batch migration of help_articles (SQLite copies the table) must make the triggers again.
    op.execute(f"CREATE VIRTUAL TABLE help_search USING fts5(title, search_text, content='help_articles', "
               f"content_rowid='id', tokenize=\"{FTS5_TOKENIZER}\")")
    op.execute("CREATE TRIGGER help_articles_search_insert AFTER INSERT ON help_articles BEGIN "
               "INSERT INTO help_search(rowid, title, search_text) VALUES (new.id, new.title, new.search_text); END")
    op.execute("CREATE TRIGGER help_articles_search_delete AFTER DELETE ON help_articles BEGIN "
               "INSERT INTO help_search(help_search, rowid, title, search_text) VALUES ('delete', old.id, old.title, old.search_text); END")
    op.execute("CREATE TRIGGER help_articles_search_update AFTER UPDATE OF title, search_text ON help_articles BEGIN "
               "INSERT INTO help_search(help_search, rowid, title, search_text) VALUES ('delete', old.id, old.title, old.search_text); "
               "INSERT INTO help_search(rowid, title, search_text) VALUES (new.id, new.title, new.search_text); END")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS help_articles_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS help_search")
    op.drop_index('ix_help_articles_published', table_name='help_articles')
    op.drop_table('help_articles')
