"""Load generator: a separate process that behaves like respondents, over HTTP only.

Each virtual user has its own cookie jar (the CSRF token lives in the Flask session cookie) and
clears it after every response, so every response is a new respondent: GET the form, read its
hidden tokens, POST valid answers, expect 303. Closed loop (`--concurrency` users as fast as they
can) or open loop (`--rate` respondents started per second, at most `--concurrency` in flight).
With `--poll` it also polls the results API, for freshness. Bounded by `--duration` and
`--max-responses`; writes every request's timings (time.monotonic, shared by all processes on
Linux) as JSON to `--out`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
from typing import Any

import aiohttp

TOKEN_RE = re.compile(r'name="(csrf_token|submission_token)" type="hidden" value="([^"]+)"')
REGIONS = [f"{i:02d}" for i in range(1, 22)] + ["90"]
SERVICES = ["health_centre", "dental", "social", "hospital", "other"]
CHANNELS = ["in_person", "phone", "online"]


def random_answers(rng: random.Random) -> list[tuple[str, str]]:
    fields = [
        ("region", rng.choice(REGIONS)),
        ("recommend", str(rng.randint(0, 10))),
        ("service", rng.choice(SERVICES)),
        ("got_help", str(rng.randint(1, 5))),
        ("age", str(rng.randint(15, 110))),
    ]
    fields += [("channels", c) for c in CHANNELS if rng.random() < 0.5]
    if rng.random() < 0.3:
        fields.append(("comment", "Kiitos, hyvää palvelua."))
    return fields


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, float, float, int]] = []
        self.polls: list[tuple[float, int]] = []

    def add(self, kind: str, t0: float, status: int) -> None:
        self.requests.append((kind, t0, time.monotonic(), status))


def new_session(timeout_s: float) -> aiohttp.ClientSession:
    # unsafe=True: the default jar drops cookies set by IP-address hosts such as 127.0.0.1.
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(force_close=True, limit=0),
        timeout=aiohttp.ClientTimeout(total=timeout_s),
    )


async def respond(http: aiohttp.ClientSession, url: str, rng: random.Random,
                  rec: Recorder) -> bool:
    """One respondent. True when the response was acknowledged (303)."""
    http.cookie_jar.clear()
    t0 = time.monotonic()
    try:
        async with http.get(url) as r:
            html = await r.text()
            status = r.status
    except (TimeoutError, aiohttp.ClientError):
        rec.add("form", t0, 0)
        return False
    rec.add("form", t0, status)
    tokens = TOKEN_RE.findall(html)
    if status != 200 or len(tokens) != 2:
        return False
    form = aiohttp.FormData(tokens + random_answers(rng))
    t1 = time.monotonic()
    try:
        async with http.post(url, data=form, allow_redirects=False) as r:
            await r.read()
            status = r.status
    except (TimeoutError, aiohttp.ClientError):
        status = 0
    rec.add("submit", t1, status)
    return status == 303


async def run_submit(args: argparse.Namespace, rec: Recorder) -> None:
    url = f"{args.base}/{args.lang}/s/{args.slug}"
    deadline = time.monotonic() + args.duration
    budget = {"left": args.max_responses}
    sessions = [new_session(args.timeout) for _ in range(args.concurrency)]
    rng = random.Random(args.seed)

    async def closed_user(http: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline and budget["left"] > 0:
            budget["left"] -= 1
            await respond(http, url, rng, rec)

    async def open_loop() -> None:
        idle: asyncio.Queue[aiohttp.ClientSession] = asyncio.Queue()
        for s in sessions:
            idle.put_nowait(s)
        tasks: set[asyncio.Task[Any]] = set()
        start = time.monotonic()
        started = 0

        async def one(http: aiohttp.ClientSession) -> None:
            try:
                await respond(http, url, rng, rec)
            finally:
                idle.put_nowait(http)

        while time.monotonic() < deadline and started < args.max_responses:
            due = start + started / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            # When every user is busy the schedule slips: the achieved rate is what is reported.
            http = await idle.get()
            if time.monotonic() >= deadline:
                break
            started += 1
            task = asyncio.create_task(one(http))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=args.timeout + 1)

    poller = asyncio.create_task(poll(args, rec, deadline)) if args.poll else None
    try:
        if args.rate:
            await open_loop()
        else:
            await asyncio.gather(*(closed_user(s) for s in sessions))
    finally:
        if poller:
            # Keep polling until everything acknowledged is visible (or the grace time is over).
            acked = sum(1 for k, _, _, st in rec.requests if k == "submit" and st == 303)
            rec.acked_target = acked  # type: ignore[attr-defined]
            await asyncio.wait({poller}, timeout=args.poll_grace)
            poller.cancel()
        for s in sessions:
            await s.close()


def _aggregated_respondents(engine, slug: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.scalar(text(
            "SELECT coalesce(sum(t.count), 0) FROM aggregate_totals t JOIN surveys s "
            "ON s.id = t.survey_id WHERE s.slug = :slug AND t.question_id = '*' "
            "AND t.option = '*'"), {"slug": slug}) or 0


async def poll(args: argparse.Namespace, rec: Recorder, deadline: float) -> None:
    """Poll the respondents counted: (time, respondents) samples. Polls end once all acks are
    visible. With --poll-db, the aggregates themselves (what the fold makes real-time; results
    views show releases of them, docs/privacy.md), else the results API."""
    url = f"{args.base}/api/v1/surveys/{args.slug}/results"
    engine = None
    if args.poll_db:
        from sqlalchemy import create_engine

        engine = create_engine(args.poll_db, pool_size=1)
    async with new_session(args.timeout) as http:
        baseline = None
        while True:
            t0 = time.monotonic()
            try:
                if engine is not None:
                    n = await asyncio.to_thread(_aggregated_respondents, engine, args.slug)
                else:
                    async with http.get(url) as r:
                        data = await r.json()
                    n = data.get("respondents") or 0
                if baseline is None:
                    baseline = n
                rec.polls.append((time.monotonic(), n - baseline))
                target = getattr(rec, "acked_target", None)
                if target is not None and n - baseline >= target:
                    return
            except (TimeoutError, aiohttp.ClientError, ValueError):
                pass
            await asyncio.sleep(max(0.0, args.poll_interval - (time.monotonic() - t0)))


async def run_results(args: argparse.Namespace, rec: Recorder) -> None:
    """GET each of `--urls` `--requests` times, interleaved, with `--concurrency` clients."""
    plan = [(i % len(args.urls), args.urls[i % len(args.urls)])
            for i in range(args.requests * len(args.urls))]
    it = iter(plan)
    deadline = time.monotonic() + args.duration

    async def client() -> None:
        async with new_session(args.timeout) as http:
            for idx, url in it:
                if time.monotonic() > deadline:
                    return
                t0 = time.monotonic()
                try:
                    async with http.get(args.base + url) as r:
                        await r.read()
                        status = r.status
                except (TimeoutError, aiohttp.ClientError):
                    status = 0
                rec.add(f"results{idx}", t0, status)

    await asyncio.gather(*(client() for _ in range(args.concurrency)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("mode", choices=["submit", "results"])
    p.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    p.add_argument("--slug", default="asiakaskokemus-2026")
    p.add_argument("--lang", default="fi")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--duration", type=float, default=10.0, help="seconds, hard bound")
    p.add_argument("--max-responses", type=int, default=1_000_000)
    p.add_argument("--rate", type=float, default=0.0, help="open loop: respondents/s")
    p.add_argument("--poll", action="store_true", help="poll the results API (freshness)")
    p.add_argument("--poll-db", default="",
                   help="poll the aggregates in this database instead of the results API")
    p.add_argument("--poll-interval", type=float, default=0.05)
    p.add_argument("--poll-grace", type=float, default=20.0)
    p.add_argument("--urls", nargs="*", default=[])
    p.add_argument("--requests", type=int, default=200, help="results mode: per URL")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    rec = Recorder()
    started = time.monotonic()
    asyncio.run(run_submit(args, rec) if args.mode == "submit" else run_results(args, rec))
    with open(args.out, "w") as f:
        json.dump({"started": started, "ended": time.monotonic(), "requests": rec.requests,
                   "polls": rec.polls}, f)


if __name__ == "__main__":
    main()
