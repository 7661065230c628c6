"""surveys.unit_cut_refused: the figures (results stamp and threshold) at which the last unit
cut of a closed staff survey was refused for a reason that the same figures always give (a
finest cell grew by too few; the views read with an earlier release narrow a group): the
hourly job does not queue that survey again until its figures change, instead of auditing the
same publication every hour (surveys.report.units.release_due)

Revision ID: 0026_unit_cut_refused
Revises: 0025_release_seq
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0026_unit_cut_refused"
down_revision = "0025_release_seq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("unit_cut_refused",
                                   sa.JSON().with_variant(JSONB(), "postgresql"),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("unit_cut_refused")
