"""reference data: wellbeing services counties, collaboration areas, municipalities

Statistics Finland classifications for 2026 (CC BY 4.0), see surveys/reference_data/SOURCES.md.
A later classification year gets a migration of its own that updates these rows.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from surveys.reference.regions import COLLABORATION_AREAS, read_csv

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    areas = sa.table("collaboration_areas", sa.column("code"), sa.column("name_fi"),
                     sa.column("name_sv"), sa.column("name_en"))
    regions = sa.table("regions", sa.column("code"), sa.column("name_fi"), sa.column("name_sv"),
                       sa.column("name_en"), sa.column("languages"),
                       sa.column("collaboration_area"))
    municipalities = sa.table("municipalities", sa.column("code"), sa.column("name_fi"),
                              sa.column("name_sv"), sa.column("region_code"),
                              sa.column("sami_homeland", sa.Boolean))
    op.bulk_insert(areas, [{"code": code, **names} for code, names in COLLABORATION_AREAS.items()])
    op.bulk_insert(regions, [
        {k: row[k] for k in ("code", "name_fi", "name_sv", "name_en", "languages",
                             "collaboration_area")}
        for row in read_csv("wellbeing_counties.csv")
    ])
    op.bulk_insert(municipalities, [
        {"code": row["code"], "name_fi": row["name_fi"], "name_sv": row["name_sv"],
         "region_code": row["county_code"], "sami_homeland": row["sami_homeland"] == "1"}
        for row in read_csv("municipalities.csv")
    ])


def downgrade() -> None:
    op.execute("DELETE FROM municipalities")
    op.execute("DELETE FROM regions")
    op.execute("DELETE FROM collaboration_areas")
