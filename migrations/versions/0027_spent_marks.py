"""spent_marks: that an invitation was used is a row of `spent_invitations`, named by a keyed
hash (HMAC-SHA256 under SECRET_KEY) of the invitation's token hash, no longer the `spent` flag
of the invitation's own row.

On PostgreSQL the flag's UPDATE gave the invitation row the submission's transaction id
(`xmin`), which the held response shares and the next fold follows: a database administrator
with HR's file of links paired invitations with answers (review of 7 December). The mark can't
be paired with an invitation without SECRET_KEY, and the invitation's row is never written
again. The upgrade computes the marks of the invitations spent so far with the application's
SECRET_KEY (refused, before any change, without SECRET_KEY in the environment; on SQLite the
development key kept in the instance folder will do) and, on PostgreSQL, rebuilds `invitations` in the order of the
hashes: the old table's file, with the rows' earlier versions and the physical order the
UPDATEs gave the spent ones, is dropped.

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


def _secret(dialect: str) -> str:
    """The application's SECRET_KEY, from the environment. On SQLite (development) also the key
    the instance folder already keeps. Not that file on PostgreSQL: `palaute db upgrade` builds
    the application first, which writes a new one where SECRET_KEY is missing, so its being
    there proves nothing, and marks under a key the web processes don't have would open every
    used link again, with the flags they replace gone."""
    from surveys.infra.settings import Settings

    settings = Settings.from_env()
    if settings.secret_key:
        return settings.secret_key
    kept = settings.instance_dir / "secret_key"
    if dialect == "sqlite" and kept.exists():
        return kept.read_text().strip()
    raise RuntimeError(
        "0027_spent_marks needs the application's SECRET_KEY to turn the used invitation links "
        "into marks: run `palaute db upgrade` with the production settings")


def _columns():
    return [sa.Column("token_hash", sa.String(64), nullable=False),
            sa.Column("survey_id", sa.Integer(), nullable=False),
            sa.Column("unit_id", sa.Integer(), nullable=False),
            sa.Column("issued_on", sa.Date(), nullable=False)]


def _rebuild_invitations_pg() -> None:
    """A new `invitations` in the order of the hashes: the old heap kept the spent rows' earlier
    versions (with their spending's transaction id, until VACUUM) and the new ones where the
    UPDATEs put them (their physical order showed who had answered). Dropping the old table
    drops its file."""
    op.create_table("invitations_rebuilt", *_columns())
    op.execute("INSERT INTO invitations_rebuilt (token_hash, survey_id, unit_id, issued_on) "
               "SELECT token_hash, survey_id, unit_id, issued_on FROM invitations "
               "ORDER BY token_hash")
    op.drop_table("invitations")
    op.rename_table("invitations_rebuilt", "invitations")
    op.create_primary_key(op.f("pk_invitations"), "invitations", ["token_hash"])
    op.create_foreign_key(op.f("fk_invitations_survey_id_surveys"), "invitations", "surveys",
                          ["survey_id"], ["id"], ondelete="CASCADE")
    op.create_foreign_key(op.f("fk_invitations_unit_id_units"), "invitations", "units",
                          ["unit_id"], ["id"])
    op.create_index("ix_invitations_survey_unit", "invitations", ["survey_id", "unit_id"])


def upgrade() -> None:
    bind = op.get_bind()
    spent = bind.execute(sa.text(
        "SELECT token_hash, survey_id, unit_id FROM invitations WHERE spent")).all()
    # Before any change: refused, nothing is done.
    mark = _mark(_secret(bind.dialect.name)) if spent else None
    op.create_table(
        "spent_invitations",
        sa.Column("mark", sa.String(length=64), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("settled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_spent_invitations_survey_id_surveys")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_spent_invitations_unit_id_units")),
        sa.PrimaryKeyConstraint("mark", name=op.f("pk_spent_invitations")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_spent_invitations_survey_unit", "spent_invitations",
                    ["survey_id", "unit_id"], unique=False)
    if mark is not None:
        rows = sorted(({"mark": mark(h), "survey_id": s, "unit_id": u} for h, s, u in spent),
                      key=lambda r: r["mark"])
        bind.execute(sa.text("INSERT INTO spent_invitations (mark, survey_id, unit_id, settled) "
                             "VALUES (:mark, :survey_id, :unit_id, true)"), rows)
    if bind.dialect.name == "postgresql":
        _rebuild_invitations_pg()
        return
    # SQLite's batch mode copies the table (in key order: no rowid) without the column.
    with op.batch_alter_table("invitations", schema=None,
                              table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.drop_column("spent")


def downgrade() -> None:
    bind = op.get_bind()
    has_marks = bind.execute(sa.text("SELECT 1 FROM spent_invitations LIMIT 1")).first()
    mark = _mark(_secret(bind.dialect.name)) if has_marks else None  # before any change
    with op.batch_alter_table("invitations", schema=None,
                              table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.add_column(sa.Column("spent", sa.Boolean(), server_default=sa.text("false"),
                                      nullable=False))
    bind = op.get_bind()
    marks = {m for (m,) in bind.execute(sa.text("SELECT mark FROM spent_invitations"))}
    if marks:
        spent = [{"h": h} for (h,) in bind.execute(sa.text("SELECT token_hash FROM invitations"))
                 if mark(h) in marks]
        if spent:
            bind.execute(sa.text("UPDATE invitations SET spent = true WHERE token_hash = :h"),
                         spent)
    op.drop_index("ix_spent_invitations_survey_unit", table_name="spent_invitations")
    op.drop_table("spent_invitations")
