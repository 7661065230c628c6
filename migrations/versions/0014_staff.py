"""staff: organisation units (a county's tree, with headcounts), one-time anonymous
invitations (hash only, random key, no rowid on SQLite, no time finer than a day) and the unit of
a staff survey's response (responses.unit_id; no link to any invitation)

Revision ID: 0014_staff
Revises: 0015_schedule
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_staff"
down_revision = "0015_schedule"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name_fi", sa.String(200), nullable=False),
        sa.Column("name_sv", sa.String(200), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.CheckConstraint("kind IN ('organisation', 'unit', 'service')",
                           name=op.f("ck_units_kind")),
        sa.CheckConstraint("headcount IS NULL OR headcount >= 0",
                           name=op.f("ck_units_headcount")),
        sa.CheckConstraint("(kind = 'organisation') = (parent_id IS NULL)",
                           name=op.f("ck_units_root")),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"],
                                name=op.f("fk_units_region_code_regions")),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"],
                                name=op.f("fk_units_parent_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("region_code", "code", name="uq_units_region_code"),
    )
    op.create_index(op.f("ix_units_parent_id"), "units", ["parent_id"])
    op.create_table(
        "invitations",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("spent", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_invitations_survey_id_surveys")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_invitations_unit_id_units")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_invitations")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_invitations_survey_unit", "invitations", ["survey_id", "unit_id"])
    # The unit travels with the response: held, quarantined, moved (surveys.fold).
    for table in ("responses", "pending_responses", "quarantined_responses"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(op.f(f"fk_{table}_unit_id_units"), "units",
                                     ["unit_id"], ["id"])


def downgrade() -> None:
    for table in ("quarantined_responses", "pending_responses", "responses"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_unit_id_units"), type_="foreignkey")
            batch.drop_column("unit_id")
    op.drop_index("ix_invitations_survey_unit", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_units_parent_id"), table_name="units")
    op.drop_table("units")
