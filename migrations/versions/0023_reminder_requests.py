"""reminder_requests: HR's click asks for a reminder (or a resend of failed reminder mails);
the night's participation job decides who gets it, right after the survey's count, so two
clicks minutes apart never compare two live counts of those who have not answered

Revision ID: 0023_reminder_requests
Revises: 0022_participation_counts
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_reminder_requests"
down_revision = "0022_participation_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.CheckConstraint("kind IN ('remind', 'retry')",
                           name=op.f("ck_reminder_requests_kind")),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_reminder_requests_survey_id_surveys")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE",
                                name=op.f("fk_reminder_requests_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_requests")),
    )
    op.create_index(op.f("ix_reminder_requests_survey_id"), "reminder_requests",
                    ["survey_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_requests_survey_id"), table_name="reminder_requests")
    op.drop_table("reminder_requests")
