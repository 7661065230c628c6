"""mail_claims: when an invitation mail was claimed for sending (kept only while "sending")

A worker killed between claiming a mail and recording it leaves the row "sending"; with the
claim's time HR's page counts such rows, after a while, as unknown (may not have been
delivered) and lets HR queue them again (surveys.staff.mailing). Rows already "sending" get no
time: they count as unknown at once.

Revision ID: 0021_mail_claims
Revises: 0020_unit_releases
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_mail_claims"
down_revision = "0020_unit_releases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitation_mails") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitation_mails") as batch:
        batch.drop_column("claimed_at")
