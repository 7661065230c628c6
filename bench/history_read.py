"""How long a release cut spends reading the survey's history (issue 10's "cut reads every
stored block"), over a year of daily releases.

    .venv/bin/python -m bench.history_read [--database URL] [--respondents 20000]
                                           [--releases 30 120 365] [--changing 0.5]

A cut reads everything ever public of the survey (surveys.report.releases._public_layers):
each block's data once, from the release it was computed in, and the shape (which block of
which time) of every release. This builds the demo national survey with `--respondents`
bulk-loaded and folded responses (bench/bulk.py), cuts one real release, and then stores
releases copied from it up to each count in `--releases`: in each, a share `--changing` of the
blocks (drawn at random) is computed anew (its own data, as a changing block's would be) and
the rest carry from the release that last changed them, as releases.cut stores them. At each
count it times `_public_layers` (wall and CPU seconds of this process, the median of three
reads) and reports the stored size of the blocks' data. The data of a copied block is the real
one of release 1 (every month, language and question of the demo survey), so sizes are real.

`--database`: a PostgreSQL URL whose database name contains `bench` or `test` (its schema
`public` is dropped first), or SQLite in a temporary file by default. Results:
docs/performance.md, "The cross-time audit over every release".
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

SLUG = "asiakaskokemus-2026"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="")
    parser.add_argument("--respondents", type=int, default=20_000)
    parser.add_argument("--releases", type=int, nargs="+", default=[30, 120, 365])
    parser.add_argument("--changing", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from sqlalchemy import func, insert, make_url, select, text

    from bench import bulk
    from surveys.definitions import demo, lookup
    from surveys.fold import aggregation
    from surveys.infra import db, migrate
    from surveys.models import ReleasedBlock, ResultRelease
    from surveys.report import releases

    url = args.database
    if url:
        name = make_url(url).database or ""
        if not any(w in name for w in ("bench", "test")):
            raise SystemExit(f"refusing to wipe database {name!r}")
        with db.get_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.get_engine(url).dispose()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='history-read-')) / 'h.db'}"
    migrate.upgrade(url)
    engine = db.get_engine(url)
    with db.session_scope(url) as s:
        demo.seed(s)
        survey_id = lookup.find(s, SLUG).id
    bulk.load(engine, survey_id, args.respondents, seed=args.seed)
    aggregation.fold_pending(lambda: db.new_session(url), batch_size=20_000)
    start = datetime(2026, 1, 1, 4, 7)
    with db.session_scope(url) as s:
        first = releases.cut(s, lookup.visible(s, SLUG), start)
        assert first is not None
        template = {(b.place, b.measure): b.data for b in s.scalars(
            select(ReleasedBlock).where(ReleasedBlock.release_id == first.id))}
        first_id = first.id
    print(f"{len(template)} blocks per release, {args.respondents} respondents, "
          f"{engine.dialect.name}")
    rng = random.Random(args.seed)
    last_changed = {block: first_id for block in template}
    made = 1
    for target in sorted(args.releases):
        with db.session_scope(url) as s:
            while made < target:
                release = ResultRelease(survey_id=survey_id,
                                        released_at=start + timedelta(days=made), seq=made)
                s.add(release)
                s.flush()
                rows = []
                for block, data in template.items():
                    if rng.random() < args.changing:
                        last_changed[block] = release.id
                    rows.append({"release_id": release.id, "place": block[0],
                                 "measure": block[1], "data": data,
                                 "computed_in": last_changed[block]})
                s.execute(insert(ReleasedBlock), rows)
                made += 1
        with db.session_scope(url) as s:
            stored = s.scalar(select(func.count()).select_from(ReleasedBlock)
                              .where(ReleasedBlock.computed_in == ReleasedBlock.release_id))
            size = s.scalar(select(func.sum(func.length(
                func.cast(ReleasedBlock.data, text_type())))).where(
                    ReleasedBlock.computed_in == ReleasedBlock.release_id))
        walls, cpus = [], []
        for _ in range(3):
            with db.session_scope(url) as s:
                w, c = time.perf_counter(), time.process_time()
                layers = releases._public_layers(s, survey_id)
                walls.append(time.perf_counter() - w)
                cpus.append(time.process_time() - c)
        print(f"{target:4d} releases: {len(layers)} times, {stored} blocks with their own data "
              f"({(size or 0) / 1e6:.1f} MB as text), read in {statistics.median(walls):.2f} s "
              f"wall, {statistics.median(cpus):.2f} s CPU")


def text_type():
    from sqlalchemy import Text

    return Text()


if __name__ == "__main__":
    main()
