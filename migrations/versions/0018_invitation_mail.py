"""invitation_mail: invitations mailed to staff, each address sealed (AES-GCM) together with
its invitation's token, a keyed hash of the address to merge duplicates, and the state of its
mails (rounds: the invitation, then reminders); deleted when the survey closes

Revision ID: 0018_invitation_mail
Revises: 0017_comment_tags
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_invitation_mail"
down_revision = "0017_comment_tags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitation_mails",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("base_url", sa.String(length=200), nullable=False),
        sa.Column("round", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent_round", sa.Integer(), server_default="-1", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="queued", nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped')",
            name=op.f("ck_invitation_mails_status")),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_invitation_mails_survey_id_surveys")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_invitation_mails_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_mails")),
        sa.UniqueConstraint("survey_id", "address_key",
                            name="uq_invitation_mails_survey_address"),
    )
    op.create_index("ix_invitation_mails_survey_unit", "invitation_mails",
                    ["survey_id", "unit_id"])


def downgrade() -> None:
    op.drop_index("ix_invitation_mails_survey_unit", table_name="invitation_mails")
    op.drop_table("invitation_mails")
