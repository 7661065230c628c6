"""result_releases.seq and unit_releases.seq: a release's place among its survey's releases,
unique per survey, so that two cuts of one survey at once (the hourly job and an operator's
`palaute results release` or `palaute surveys close`) cannot both store a release audited
without the other's figures: the second finds its place taken

Revision ID: 0025_release_seq
Revises: 0024_reminder_resolved
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_release_seq"
down_revision = "0024_reminder_resolved"
branch_labels = None
depends_on = None


TABLES = ("result_releases", "unit_releases")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("seq", sa.Integer(), nullable=True))
        # The releases so far, numbered in the order they were cut (ids grow with it).
        op.execute(f"UPDATE {table} SET seq = (SELECT count(*) FROM {table} AS r "
                   f"WHERE r.survey_id = {table}.survey_id AND r.id < {table}.id)")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
            batch.create_unique_constraint(f"uq_{table}_survey_id_seq", ["survey_id", "seq"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_survey_id_seq", type_="unique")
            batch.drop_column("seq")
