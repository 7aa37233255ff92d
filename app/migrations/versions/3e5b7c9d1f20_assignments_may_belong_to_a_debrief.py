"""assignments may belong to a debrief

A recruiter's addition to a shared debrief's plan becomes an assignment that names the
interview, instead of a plan entry that widened the share to every earlier answer.

Revision ID: 3e5b7c9d1f20
Revises: 3c51e0b7a2d4
Create Date: 2026-11-29 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e5b7c9d1f20'
down_revision = '3c51e0b7a2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interview_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_assignments_interview_id'), ['interview_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_assignments_interview_id_interviews'), 'interviews', ['interview_id'], ['id'])


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignments_interview_id_interviews'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_assignments_interview_id'))
        batch_op.drop_column('interview_id')
