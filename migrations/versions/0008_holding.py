"""holding table: a submission writes its response only to `pending_responses` (which replaces
`outbox_events`); the fold moves responses into `responses` in shuffled batches of at least the
survey's min_group_size, so storage order and inserting transactions don't follow arrival

Responses still waiting in the outbox move to the holding table, not yet folded (their ids are
kept); responses already folded stay in `responses`. Downgrade: every held response goes back to
`responses`, and the ones not yet folded get their outbox row again.

Revision ID: 0008_holding
Revises: 0010_accounts
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_holding"
down_revision = "0010_accounts"
branch_labels = None
depends_on = None

_COLUMNS = "id, survey_id, region_code, lang, submitted_on, answers"


def upgrade() -> None:
    op.create_table(
        "pending_responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("lang", sa.String(length=3), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON().with_variant(
            postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("folded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"],
                                name=op.f("fk_pending_responses_region_code_regions")),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_pending_responses_survey_id_surveys"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_responses")),
        # No rowid on SQLite: a held row's position is its random id, not its arrival.
        sqlite_with_rowid=False,
    )
    op.create_index("ix_pending_responses_folded_survey", "pending_responses",
                    ["folded", "survey_id"])
    op.execute(f"""
        INSERT INTO pending_responses ({_COLUMNS})
        SELECT {_COLUMNS} FROM responses
        WHERE id IN (SELECT response_id FROM outbox_events)
    """)
    op.execute("DELETE FROM responses WHERE id IN (SELECT response_id FROM outbox_events)")
    op.drop_table("outbox_events")


def downgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("response_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"],
                                name=op.f("fk_outbox_events_response_id_responses"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("response_id", name=op.f("uq_outbox_events_response_id")),
    )
    op.execute(f"INSERT INTO responses ({_COLUMNS}) SELECT {_COLUMNS} FROM pending_responses")
    op.execute("INSERT INTO outbox_events (response_id) "
               "SELECT id FROM pending_responses WHERE NOT folded")
    op.drop_index("ix_pending_responses_folded_survey", table_name="pending_responses")
    op.drop_table("pending_responses")
