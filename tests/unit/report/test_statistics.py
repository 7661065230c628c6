"""Intervals against values computed by hand (and checked with R: prop.test without continuity
correction gives the Wilson interval; t.test gives the mean's)."""

from __future__ import annotations

import math

import pytest

from surveys.report import statistics as st


def test_wilson_matches_the_formula_by_hand():
    # 8 of 10: p = 0.8, z = 1.959964
    z = 1.959964
    n, p = 10, 0.8
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    est = st.wilson(8, 10)
    assert est.value == pytest.approx(0.8)
    assert (est.low, est.high) == pytest.approx((centre - half, centre + half), abs=1e-6)
    # R: prop.test(8, 10, correct=FALSE)$conf.int -> 0.4901625 0.9433178
    assert (est.low, est.high) == pytest.approx((0.4901625, 0.9433178), abs=1e-6)


def test_wilson_stays_inside_zero_and_one():
    assert 0.0 <= st.wilson(0, 5).low < 1e-12 and 1 - 1e-12 < st.wilson(5, 5).high <= 1.0
    assert st.wilson(0, 0) is None


def test_mean_interval_uses_the_t_distribution():
    # Answers 1, 2, 3, 4, 5 once each: mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445
    est = st.mean({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert est.value == pytest.approx(3.0)
    assert (est.low, est.high) == pytest.approx((3 - half, 3 + half), abs=1e-5)
    # R: t.test(c(1,2,3,4,5))$conf.int -> 1.036757 4.963243
    assert (est.low, est.high) == pytest.approx((1.036757, 4.963243), abs=1e-5)
    assert st.mean({4: 1}) is None


def test_nps_and_its_interval():
    # 10 answers: 5 promoters (9-10), 2 passives, 3 detractors -> NPS 20
    counts = {10: 3, 9: 2, 8: 1, 7: 1, 5: 2, 0: 1}
    est = st.nps(counts)
    p, d = 0.5, 0.3
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / 10)
    assert est.value == pytest.approx(20.0)
    assert est.se == pytest.approx(se)
    assert (est.low, est.high) == pytest.approx((20 - 1.959964 * se, 20 + 1.959964 * se),
                                                abs=1e-4)
    # Everyone a promoter: no spread, and the interval never leaves -100..100.
    assert st.nps({10: 7}).high == 100.0


def test_top_two_share():
    est = st.top_two({5: 3, 4: 1, 3: 4, 1: 2})
    assert est.value == pytest.approx(0.4)


def test_within_noise():
    county = st.mean({1: 5, 5: 5})        # mean 3, se 0.667
    country = st.mean({4: 500, 5: 500})   # mean 4.5, se 0.016: difference 1.5 > 1.96 * 0.667
    assert st.within_noise(county, country) is False
    small = st.mean({3: 3, 4: 3})
    close = st.mean({3: 300, 4: 310})
    assert st.within_noise(small, close) is True
    assert st.within_noise(st.mean({1: 99, 2: 1}), st.mean({5: 99, 4: 1})) is False
    assert st.within_noise(None, close) is None


def test_t_quantiles_agree_with_scipy():
    from scipy import stats

    for df in [*range(1, 61), 100, 500, 5000]:
        assert st.t_quantile(df) == pytest.approx(float(stats.t.ppf(0.975, df)), abs=1e-5), df
    assert pytest.approx(float(stats.norm.ppf(0.975)), abs=1e-9) == st.Z
