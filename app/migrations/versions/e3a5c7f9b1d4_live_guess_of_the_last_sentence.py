"""the last sentence of a streamed answer, decoded while the candidate is silent after it

Revision ID: e3a5c7f9b1d4
Revises: d2f4a6b8c0e1
Create Date: 2026-11-30 11:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3a5c7f9b1d4'
down_revision = 'd2f4a6b8c0e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_guess', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('live_guess')
