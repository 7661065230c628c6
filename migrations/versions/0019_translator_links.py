"""translator_links: time-limited links for one language of one survey (only the token's hash)

Revision ID: 0019_translator_links
Revises: 0018_invitation_mail
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_translator_links"
down_revision = "0018_invitation_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translator_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(3), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_translator_links_survey_id_surveys")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_translator_links_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translator_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_translator_links_token_hash")),
    )
    op.create_index(op.f("ix_translator_links_survey_id"), "translator_links", ["survey_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_translator_links_survey_id"), table_name="translator_links")
    op.drop_table("translator_links")
