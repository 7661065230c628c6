"""result releases: results views show figures cut on a schedule, not live ones

Revision ID: 0009_releases
Revises: 0008_quarantine
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009_releases"
down_revision = "0008_quarantine"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "result_releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name="fk_result_releases_survey_id_surveys"),
        sa.PrimaryKeyConstraint("id", name="pk_result_releases"),
    )
    op.create_index("ix_result_releases_survey_id", "result_releases", ["survey_id"])
    op.create_table(
        "released_blocks",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(32), nullable=False),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("computed_in", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["result_releases.id"], ondelete="CASCADE",
                                name="fk_released_blocks_release_id_result_releases"),
        sa.PrimaryKeyConstraint("release_id", "place", "measure", name="pk_released_blocks"),
    )


def downgrade() -> None:
    op.drop_table("released_blocks")
    op.drop_index("ix_result_releases_survey_id", table_name="result_releases")
    op.drop_table("result_releases")
