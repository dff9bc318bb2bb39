"""Each version keeps its own question vector, copied to the article only when the version is approved.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_vector', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.drop_column('question_vector')
