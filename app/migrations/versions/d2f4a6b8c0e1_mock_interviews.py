"""mock interviews: turns asked aloud, the interviewer's stored speech, follow-ups per question

Revision ID: d2f4a6b8c0e1
Revises: c7e1a9d3b5f2
Create Date: 2026-11-30 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2f4a6b8c0e1'
down_revision = 'c7e1a9d3b5f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mock_interviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('question_ids', sa.JSON(), nullable=False),
        sa.Column('source', sa.JSON(), nullable=False),
        sa.Column('silence_seconds', sa.Integer(), nullable=False),
        sa.Column('think_seconds', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_mock_interviews_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mock_interviews')),
    )
    with op.batch_alter_table('mock_interviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mock_interviews_owner_id'), ['owner_id'], unique=False)

    op.create_table(
        'interview_turns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mock_interview_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('trigger', sa.String(length=40), nullable=True),
        sa.Column('why', sa.Text(), server_default='', nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_interview_turns_attempt_id_attempts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['mock_interview_id'], ['mock_interviews.id'], name=op.f('fk_interview_turns_mock_interview_id_mock_interviews'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_interview_turns_question_id_questions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_turns')),
        sa.UniqueConstraint('mock_interview_id', 'position', name='uq_interview_turns_position'),
    )
    with op.batch_alter_table('interview_turns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interview_turns_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interview_turns_mock_interview_id'), ['mock_interview_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interview_turns_question_id'), ['question_id'], unique=False)

    op.create_table(
        'interviewer_speech',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('voice', sa.String(length=80), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('audio_key', sa.String(length=200), nullable=False),
        sa.Column('mime', sa.String(length=60), nullable=False),
        sa.Column('duration_s', sa.Double(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interviewer_speech')),
        sa.UniqueConstraint('digest', name=op.f('uq_interviewer_speech_digest')),
    )

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_ups', sa.JSON(), server_default='{}', nullable=False))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_ups', sa.JSON(), server_default='{}', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interviewer_voice', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mock_interview_ids', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_column('mock_interview_ids')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('interviewer_voice')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('follow_ups')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('follow_ups')
    op.drop_table('interviewer_speech')
    with op.batch_alter_table('interview_turns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interview_turns_question_id'))
        batch_op.drop_index(batch_op.f('ix_interview_turns_mock_interview_id'))
        batch_op.drop_index(batch_op.f('ix_interview_turns_attempt_id'))
    op.drop_table('interview_turns')
    with op.batch_alter_table('mock_interviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mock_interviews_owner_id'))
    op.drop_table('mock_interviews')
