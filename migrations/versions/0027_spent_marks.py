"""spent_marks: that an invitation was used is a row of `spent_invitations`, named by a keyed
hash (HMAC-SHA256 under SECRET_KEY) of the invitation's token hash, no longer the `spent` flag
of the invitation's own row.

On PostgreSQL the flag's UPDATE gave the invitation row the submission's transaction id
(`xmin`), which the held response shares and the next fold follows: a database administrator
with HR's file of links paired invitations with answers (review of 7 December). The mark can't
be paired with an invitation without SECRET_KEY, and the invitation's row is never written
again. The upgrade computes the marks of the invitations spent so far (with this process's
SECRET_KEY: run it with the application's settings) and then writes every invitation row once
more, so that none keeps the transaction id of its spending.

Revision ID: 0027_spent_marks
Revises: 0026_unit_cut_refusals
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_spent_marks"
down_revision = "0026_unit_cut_refusals"
branch_labels = None
depends_on = None


def _mark(secret: str):
    # surveys.staff.invitations.spent_mark as of this revision (a migration keeps its own copy)
    import hashlib
    import hmac

    key = hmac.new(secret.encode(), b"palaute spent invitation v1", hashlib.sha256).digest()
    return lambda token_hash: hmac.new(key, token_hash.encode(), hashlib.sha256).hexdigest()


def _secret() -> str:
    from surveys.infra.settings import Settings

    return Settings.from_env().secret()


def upgrade() -> None:
    op.create_table(
        "spent_invitations",
        sa.Column("mark", sa.String(length=64), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_spent_invitations_survey_id_surveys")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_spent_invitations_unit_id_units")),
        sa.PrimaryKeyConstraint("mark", name=op.f("pk_spent_invitations")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_spent_invitations_survey_unit", "spent_invitations",
                    ["survey_id", "unit_id"], unique=False)
    bind = op.get_bind()
    spent = bind.execute(sa.text(
        "SELECT token_hash, survey_id, unit_id FROM invitations WHERE spent")).all()
    if spent:
        mark = _mark(_secret())
        rows = sorted(({"mark": mark(h), "survey_id": s, "unit_id": u} for h, s, u in spent),
                      key=lambda r: r["mark"])
        bind.execute(sa.text("INSERT INTO spent_invitations (mark, survey_id, unit_id) "
                             "VALUES (:mark, :survey_id, :unit_id)"), rows)
    if bind.dialect.name == "postgresql":
        # Every row once more: none keeps its spending's xmin (SQLite's batch mode below
        # copies the table anyway).
        op.execute("UPDATE invitations SET issued_on = issued_on")
    # SQLite's batch mode copies the table: keep it without rowid.
    with op.batch_alter_table("invitations", schema=None,
                              table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.drop_column("spent")


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None,
                              table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.add_column(sa.Column("spent", sa.Boolean(), server_default=sa.text("false"),
                                      nullable=False))
    bind = op.get_bind()
    marks = {m for (m,) in bind.execute(sa.text("SELECT mark FROM spent_invitations"))}
    if marks:
        mark = _mark(_secret())
        spent = [{"h": h} for (h,) in bind.execute(sa.text("SELECT token_hash FROM invitations"))
                 if mark(h) in marks]
        if spent:
            bind.execute(sa.text("UPDATE invitations SET spent = true WHERE token_hash = :h"),
                         spent)
    op.drop_index("ix_spent_invitations_survey_unit", table_name="spent_invitations")
    op.drop_table("spent_invitations")
