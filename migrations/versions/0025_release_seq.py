"""result_releases.seq: a release's place among its survey's releases, unique per survey, so
that two cuts of one survey at once (the hourly job and an operator's `palaute results
release`) cannot both store a release audited without the other's figures: the second finds
its place taken

Revision ID: 0025_release_seq
Revises: 0024_reminder_resolved
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_release_seq"
down_revision = "0024_reminder_resolved"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("result_releases", sa.Column("seq", sa.Integer(), nullable=True))
    # The releases so far, numbered in the order they were cut (ids grow with it).
    op.execute("UPDATE result_releases SET seq = (SELECT count(*) FROM result_releases AS r "
               "WHERE r.survey_id = result_releases.survey_id AND r.id < result_releases.id)")
    with op.batch_alter_table("result_releases") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_result_releases_survey_id_seq", ["survey_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("result_releases") as batch:
        batch.drop_constraint("uq_result_releases_survey_id_seq", type_="unique")
        batch.drop_column("seq")
