"""proven email addresses, expiring single-use invitations

Revision ID: 3c51e0b7a2d4
Revises: 1a8552164434
Create Date: 2026-11-29 20:30:00.000000

Until now anyone who registered an invited address got the share. This adds
``users.email_verified_at`` (when the owner proved the address), ``shares.invite_expires_at``
and ``shares.accepted_at``, then revisits the links made so far: nobody has proven an
address yet (except admins, whom only ``rebound users create`` makes), so a share linked to
an account with the invited address may have been claimed just by registering it, and is
unlinked; its invitation link keeps working for ``INVITATION_DAYS`` (14) from now, and the
coach of that address accepts it again. A share linked to an account with another address
was accepted through its link, as the candidate intended, and stays.
"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '3c51e0b7a2d4'
down_revision = '1a8552164434'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(), nullable=True))

    now = datetime.now(UTC).replace(tzinfo=None)
    deadline = now + timedelta(days=current_app.config.get('INVITATION_DAYS', 14))
    # Admins are made only from the command line, by whoever runs the server.
    op.execute(sa.text("UPDATE users SET email_verified_at = created_at WHERE role = 'admin'"))
    op.execute(sa.text("UPDATE shares SET invite_expires_at = :deadline").bindparams(deadline=deadline))
    # Kept: links accepted through the invitation link (another address), and links to an
    # admin's address. The date they were accepted was not recorded; the share's is used.
    op.execute(sa.text(
        "UPDATE shares SET accepted_at = created_at WHERE recruiter_id IN ("
        " SELECT users.id FROM users WHERE users.id = shares.recruiter_id"
        " AND (users.email <> shares.recruiter_email OR users.email_verified_at IS NOT NULL))"
    ))
    # Unlinked: everything else, which an unproven owner of the address may have claimed.
    op.execute(sa.text(
        "UPDATE shares SET recruiter_id = NULL WHERE recruiter_id IS NOT NULL AND accepted_at IS NULL"
    ))

    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.alter_column('invite_expires_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    # Shares unlinked by the upgrade stay unlinked: their invitation links still work.
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('invite_expires_at')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
