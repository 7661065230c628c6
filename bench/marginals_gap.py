"""How much wider the auditor's ranges are on the marginals than on the cells, with every
question read together (audit._Joint): the relaxation docs/privacy.md lists under "Not yet"
("On the marginals, questions are coupled through the respondents' marginals").

    .venv/bin/python -m bench.marginals_gap [--seeds 0 20]

Pure (no database): the generated histories of tests/unit/report/test_audit_marginals.py
(5 counties in 2 areas, 3 months, fi/sv, a single-choice, a text and a `multi` question, random
parts of the true figures published at 1-3 times), those where the marginals apply. Each is
audited on the cells (exact: tests/unit/report/test_audit_joint.py compares it with the whole
linear program) and on the marginals, every protected figure's range in full; printed: the
ranges wider on the marginals, and of them those that pass there but not on the cells (what a
cut on the marginals would let through).
"""

from __future__ import annotations

import argparse
import random
import sys

from surveys.report.audit import audit, marginals_apply
from tests.unit.report.test_audit_marginals import case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs=2, default=[0, 20])
    args = parser.parse_args(argv)
    histories = ranges = wider = let_through = 0
    for seed in range(*args.seeds):
        rng = random.Random(seed)
        times, k, share = rng.randint(1, 3), rng.randint(3, 5), rng.choice([0.4, 0.7, 0.9])
        t, current, earlier = case(seed, times, k, share)
        if not marginals_apply(t, [(current, {}), *earlier]):
            continue
        histories += 1
        cells = audit(t, current, history=earlier, full_ranges=True)
        marginals = audit(t, current, history=earlier, full_ranges=True, basis="marginals")
        exact = {(r.figure, r.rule): r for r in cells.ranges}
        for r in marginals.ranges:
            ranges += 1
            e = exact.get((r.figure, r.rule))
            if e is None or (r.low >= e.low - 1e-6 and r.high <= e.high + 1e-6):
                continue
            wider += 1
            if r.ok(k) and not e.ok(k):
                let_through += 1
                print(f"seed {seed}: {r.figure} {r.rule}: cells {e.low:.2f} … {e.high:.2f}, "
                      f"marginals {r.low:.2f} … {r.high:.2f}", flush=True)
    print(f"{histories} histories, {ranges} ranges: {wider} wider on the marginals, "
          f"{let_through} of them pass there and fail on the cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
