"""reminder_requests.resolved_on: a resolved request is kept with the night it was resolved, so
that HR's page says per unit when the last reminder went out, whether or not anyone was left to
remind, instead of the reminder's counts (two nights' exact counts would differ by how many
answered in the day between)

Revision ID: 0024_reminder_resolved
Revises: 0023_reminder_requests
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_reminder_resolved"
down_revision = "0023_reminder_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reminder_requests", sa.Column("resolved_on", sa.Date(), nullable=True))


def downgrade() -> None:
    # Resolved requests were deleted before this revision.
    op.execute("DELETE FROM reminder_requests WHERE resolved_on IS NOT NULL")
    with op.batch_alter_table("reminder_requests") as batch:
        batch.drop_column("resolved_on")
