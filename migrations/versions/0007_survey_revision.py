"""survey revision: a counter the ORM raises on every change of a survey row, so web processes
can keep a survey between requests and a submission can check, in its own INSERT, that the survey
it was validated against is still the current, open one

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("revision")
