"""unit_cut_refusals: per closed staff survey, the figures (results stamp, threshold,
organisation tree) at which its last unit cut was refused for a reason that the same figures
always give (too few late respondents, nothing changed, another tree than the last release's,
an audit that does not pass with the last release, raw responses deleted): the hourly job does not queue that survey again until
they change, instead of auditing the same publication every hour
(surveys.report.units.release_due). A table of its own, so that recording a refusal locks no
row of `surveys`, which the fold updates

Revision ID: 0026_unit_cut_refusals
Revises: 0025_release_seq
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0026_unit_cut_refusals"
down_revision = "0025_release_seq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_cut_refusals",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_unit_cut_refusals_survey_id_surveys")),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_unit_cut_refusals")),
    )


def downgrade() -> None:
    op.drop_table("unit_cut_refusals")
