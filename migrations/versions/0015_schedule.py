"""schedule: surveys open and close on their dates (opens_on, closes_on); the states draft →
scheduled → published → closed → archived; a reopened survey's reason (reopened)

Every survey gets a close date, so retention always starts: a closed survey's is its closed_on,
an open one without one gets a year after the day of the upgrade (the default of
lifecycle.default_closes_on, 12 months after opening).

Revision ID: 0015_schedule
Revises: 0013_mail_tokens
"""

from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015_schedule"
down_revision = "0013_mail_tokens"
branch_labels = None
depends_on = None

STATES = "status IN ('draft', 'scheduled', 'published', 'closed', 'archived')"
OLD_STATES = "status IN ('draft', 'published', 'closed')"


def upgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opens_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closes_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reopened", sa.JSON().with_variant(
            postgresql.JSONB(), "postgresql"), nullable=True))
        batch_op.drop_constraint(op.f("ck_surveys_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_surveys_status"), STATES)
    op.execute("UPDATE surveys SET closes_on = closed_on WHERE closed_on IS NOT NULL")
    today = date.today()
    try:
        in_a_year = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        in_a_year = today.replace(year=today.year + 1, day=28)
    op.get_bind().execute(sa.text("UPDATE surveys SET closes_on = :day WHERE closes_on IS NULL "
                                  "AND status = 'published'"), {"day": in_a_year})


def downgrade() -> None:
    # The new states have no place in the old schema: scheduled is a draft again, archived
    # is closed.
    op.execute("UPDATE surveys SET status = 'draft' WHERE status = 'scheduled'")
    op.execute("UPDATE surveys SET status = 'closed' WHERE status = 'archived'")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_surveys_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_surveys_status"), OLD_STATES)
        batch_op.drop_column("reopened")
        batch_op.drop_column("closes_on")
        batch_op.drop_column("opens_on")
