"""Statistics of the resident survey, pure: a group's mean with its 95% confidence interval
(Student's t) and the difference between two groups with Welch's interval, from the counts,
sums and sums of squares SQL aggregates. Groups of fewer than 5 respondents are suppressed:
their n is kept, their mean and interval are not given.

The t quantile comes from the t distribution's CDF (the regularized incomplete beta function,
by its continued fraction) inverted by bisection, so non-integer Welch degrees of freedom need
no table and no scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

SMALL = 5  # groups with fewer respondents show no mean (a few answers could be recognised)
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Moments:
    """What SQL sums up for one group's scores: count, sum and sum of squares."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total,
                       self.squares + other.squares)

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def variance(self) -> float:
        """The sample variance (n - 1 in the denominator); never negative from rounding."""
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < eps:
            break
    return result


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=256)
def t_quantile(probability: float, df: float) -> float:
    """The t with P(T <= t) = probability (0.5 < probability < 1), to about 1e-10."""
    low, high = 0.0, 1.0
    while t_cdf(high, df) < probability:
        high *= 2.0
    for _ in range(100):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2.0


def _critical(df: float) -> float:
    return t_quantile(round(0.5 + CONFIDENCE / 2.0, 10), round(df, 6))


def group(moments: Moments) -> dict:
    """n, mean and 95% interval of one group; mean and interval None under 5 respondents."""
    if moments.n < SMALL:
        return {"n": moments.n, "mean": None, "ci95": None}
    half = _critical(moments.n - 1) * math.sqrt(moments.variance / moments.n)
    mean = moments.mean
    return {"n": moments.n, "mean": round(mean, 2),
            "ci95": [round(mean - half, 2), round(mean + half, 2)]}


def share(count: int, n: int) -> dict:
    """How many of a group of ``n`` have some property, and which share; under 5 respondents
    only n is given."""
    if n < SMALL:
        return {"n": n, "count": None, "share": None}
    return {"n": n, "count": count, "share": round(count / n, 4)}


def welch_difference(first: Moments, second: Moments) -> dict | None:
    """The difference of the means (first minus second) with Welch's 95% interval and its
    degrees of freedom; None unless both groups have at least 5 respondents."""
    if first.n < SMALL or second.n < SMALL:
        return None
    difference = first.mean - second.mean
    shares = (first.variance / first.n, second.variance / second.n)
    spread = sum(shares)
    if spread == 0.0:  # everyone answered alike in both groups: no uncertainty to estimate
        return {"difference": round(difference, 2),
                "ci95": [round(difference, 2)] * 2, "df": None}
    df = spread ** 2 / (shares[0] ** 2 / (first.n - 1) + shares[1] ** 2 / (second.n - 1))
    half = _critical(df) * math.sqrt(spread)
    return {"difference": round(difference, 2),
            "ci95": [round(difference - half, 2), round(difference + half, 2)],
            "df": round(df, 1)}
