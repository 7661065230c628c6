"""unit_releases: staff surveys' unit figures served from releases cut at close, not live

Revision ID: 0020_unit_releases
Revises: 0019_translator_links
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0020_unit_releases"
down_revision = "0019_translator_links"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "unit_releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_unit_releases_survey_id_surveys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_releases")),
    )
    op.create_index(op.f("ix_unit_releases_survey_id"), "unit_releases", ["survey_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_releases_survey_id"), table_name="unit_releases")
    op.drop_table("unit_releases")
