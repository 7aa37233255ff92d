"""stored metrics of each answer

Each answer's speech metrics are measured once, when its transcript is saved, and kept with
the fingerprint of what they were measured under (the rules' version and the question
fields the rules read), and with their few tracked numbers, which the progress charts read.
Existing answers start without: pages measure them as before until the worker's refresh
(or ``rebound metrics refresh``) stores theirs.

An index on (owner_id, created_at, id) gives a user's answers newest first without sorting
all of them: history, the API list and progress read one page of it.

Revision ID: 7d2e4f6a8b10
Revises: 3e5b7c9d1f20
Create Date: 2026-11-29 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2e4f6a8b10'
down_revision = '3e5b7c9d1f20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('metrics', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('metrics_version', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('tracked_values', sa.JSON(), nullable=True))
        batch_op.create_index('ix_attempts_owner_created', ['owner_id', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_owner_created')
        batch_op.drop_column('tracked_values')
        batch_op.drop_column('metrics_version')
        batch_op.drop_column('metrics')
