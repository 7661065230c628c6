"""Intervals and comparisons for published figures: is a difference real or noise?

Every function here takes the counts of a group that is already shown (its option counts are
published), so an interval adds nothing a reader could not compute from the shown figures: it
never touches a suppressed group (docs/privacy.md). All intervals are 95 %.

- Share (e.g. top-two answers of a five-point scale): Wilson score interval.
- Mean (five-point scale, 0–10, number bands): mean ± t(0.975, n−1) · s / √n, with the sample
  standard deviation s computed exactly from the option counts.
- NPS (−100…100): NPS = 100 · (P − D) with P, D the shares of promoters (9–10) and detractors
  (0–6); its variance is (P + D − (P − D)²) / n (the multinomial variance of the difference of
  two shares), interval NPS ± z · 100 · √variance, clipped to −100…100.
- A difference between two groups (a county against its area or the country) is called within
  noise when the 95 % interval of the difference, ± z · √(se₁² + se₂²), contains zero. The
  county is part of its area, so the two are not independent and the test is conservative
  (it calls more differences noise than an exact test would).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95
Z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)  # 1.959963…
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
# t(0.975, df) for df 1..30 (from SciPy; tests/unit/report/test_statistics.py checks them).
# No SciPy in the web tier: its import alone would cost every web worker memory and start-up.
_T_975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
          2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.13145, 2.119905,
          2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
          2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    # Standard error, for comparing two estimates.
    se: float

    def as_dict(self, digits: int = 2) -> dict[str, float]:
        return {"value": round(self.value, digits), "low": round(self.low, digits),
                "high": round(self.high, digits)}


def t_quantile(df: int) -> float:
    """t(0.975, df): a table up to 30, then the Cornish-Fisher expansion in 1/df (Abramowitz
    and Stegun 26.7.5), accurate to 1e-6 there."""
    if df <= len(_T_975):
        return _T_975[df - 1]
    z, v = Z, float(df)
    return (z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3)
            + (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z)
            / (92160 * v ** 4))


def wilson(successes: int, n: int) -> Estimate | None:
    """A share with its Wilson score interval (as fractions 0…1); None for n = 0."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denominator
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denominator
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half),
                    math.sqrt(p * (1 - p) / n))


def mean(counts: Mapping[float, int]) -> Estimate | None:
    """The mean of values given as {value: how many}, with its t interval; None below n = 2."""
    n = sum(counts.values())
    if n < 2:
        return None
    m = sum(v * c for v, c in counts.items()) / n
    variance = sum(c * (v - m) ** 2 for v, c in counts.items()) / (n - 1)
    se = math.sqrt(variance / n)
    half = t_quantile(n - 1) * se
    return Estimate(m, m - half, m + half, se)


def nps(counts: Mapping[int, int]) -> Estimate | None:
    """Net Promoter Score from 0–10 answer counts, with its interval; None for n = 0."""
    n = sum(counts.values())
    if n <= 0:
        return None
    promoters = sum(c for v, c in counts.items() if v >= PROMOTER_MIN) / n
    detractors = sum(c for v, c in counts.items() if v <= DETRACTOR_MAX) / n
    score = promoters - detractors
    variance = max(0.0, promoters + detractors - score * score) / n
    se = 100 * math.sqrt(variance)
    value = 100 * score
    return Estimate(value, max(-100.0, value - Z * se), min(100.0, value + Z * se), se)


def top_two(counts: Mapping[int, int], scale_max: int = 5) -> Estimate | None:
    """Share of the two highest answers of a scale (e.g. 4 and 5 of 1–5), Wilson interval."""
    n = sum(counts.values())
    return wilson(sum(c for v, c in counts.items() if v >= scale_max - 1), n)


def within_noise(a: Estimate | None, b: Estimate | None) -> bool | None:
    """Is the difference between `a` and `b` within noise? None when either is missing."""
    if a is None or b is None:
        return None
    half = Z * math.sqrt(a.se ** 2 + b.se ** 2)
    return abs(a.value - b.value) <= half
