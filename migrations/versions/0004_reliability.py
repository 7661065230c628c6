"""reliability: survey close date, retention period and purge date of raw responses

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("retention_months", sa.Integer(), server_default="24",
                                      nullable=False))
        batch_op.add_column(sa.Column("responses_purged_on", sa.Date(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_surveys_retention_months"),
                                         "retention_months >= 1")


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_surveys_retention_months"), type_="check")
        batch_op.drop_column("responses_purged_on")
        batch_op.drop_column("retention_months")
        batch_op.drop_column("closed_on")
