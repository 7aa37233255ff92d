"""each try keeps the goal it set out with (the previous try's takeaway)

Revision ID: c7e1a9d3b5f2
Revises: b4c8d2e6f1a3
Create Date: 2026-11-30 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7e1a9d3b5f2'
down_revision = 'b4c8d2e6f1a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('goal', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('goal')
