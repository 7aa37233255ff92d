"""shares follow a question's later answers; practice sets can be finished

Revision ID: b4c8d2e6f1a3
Revises: 7d2e4f6a8b10
Create Date: 2026-11-30 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4c8d2e6f1a3'
down_revision = '7d2e4f6a8b10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_questions', sa.JSON(), server_default='{}', nullable=False))
    with op.batch_alter_table('practices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('practices', schema=None) as batch_op:
        batch_op.drop_column('finished_at')
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_column('follow_questions')
