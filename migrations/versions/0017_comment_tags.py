"""comment_tags: analysts' theme tags on free-text comments, keyed by a keyed hash of the
comment (never a response id), no sequence, no time

Revision ID: 0017_comment_tags
Revises: 0016_unit_aggregates
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_comment_tags"
down_revision = "0016_unit_aggregates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_tags",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("comment_key", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_comment_tags_survey_id_surveys")),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"],
                                name=op.f("fk_comment_tags_region_code_regions")),
        sa.PrimaryKeyConstraint("survey_id", "region_code", "question_id", "comment_key", "tag",
                                name=op.f("pk_comment_tags")),
        # No rowid either: rows in key order, not in the order tags were added.
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("comment_tags")
