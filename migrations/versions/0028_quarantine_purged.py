"""surveys.quarantine_purged: per unit, how many of a staff survey's quarantined responses the
retention purge deleted.

A quarantined response spent its invitation, so HR's participation page counted it, and it is
not in the figures: a unit cut allows for it beside the page (surveys.report.units
`_quarantined`). The purge deletes quarantined responses with the other raw responses; without
this count the page then lay above today's figures, and the cut read it as a contradiction.

Revision ID: 0028_quarantine_purged
Revises: 0027_spent_marks
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0028_quarantine_purged"
down_revision = "0027_spent_marks"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("quarantine_purged", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("quarantine_purged")
