"""Which worker process claimed a build, and when: several workers share one database, and a build claimed by a
worker that died (kill -9, a crashed host) is built again by another instead of staying "building".

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('build_owner', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('build_claimed_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.drop_column('build_claimed_at')
        batch_op.drop_column('build_owner')
