"""results stamp: a random value each change of a survey's aggregates writes, so results can
keep the suppression table between requests and never serve it after new data

Existing surveys get a fresh stamp each (any cached table predates the migration).

Revision ID: 0006
Revises: 0005
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("results_stamp", sa.String(length=32), nullable=False,
                                   server_default=""))
    conn = op.get_bind()
    surveys = sa.table("surveys", sa.column("id", sa.Integer),
                       sa.column("results_stamp", sa.String))
    for (survey_id,) in conn.execute(sa.select(surveys.c.id)).all():
        conn.execute(surveys.update().where(surveys.c.id == survey_id)
                     .values(results_stamp=uuid.uuid4().hex))


def downgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("results_stamp")
