"""Sign-in back-off against password guessing and credential stuffing, kept in Redis.

Failures are counted per account (the keyed hash of the e-mail address tried, known account or
not) and per client address. After ACCOUNT_FREE failures for an account, each further attempt
must wait 2^k seconds (2, 4, 8, … k counting the failures past the free ones), never more than
MAX_WAIT_S; per address the same after ADDRESS_FREE failures (many honest people can share one
address). An attempt made during a wait is refused without checking the password, and does not
lengthen the wait. The wait is bounded, so an attacker can slow a real user down but never lock
them out for good: after the wait, the right password signs in and clears the account's count.
Counts are forgotten after FORGET_AFTER_S without a failure.

Times are the caller's (`now`, seconds since the epoch), so tests can move a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

ACCOUNT_FREE = 5
ADDRESS_FREE = 50
MAX_WAIT_S = 15 * 60
FORGET_AFTER_S = 24 * 3600
_PREFIX = "palaute:signin:"


@dataclass(frozen=True)
class Keys:
    account: str  # a keyed hash of the normalised e-mail address
    address: str  # the client address
    # What is counted: "signin" (failed sign-ins) or "reset" (password-reset requests, every
    # one counts), each with its own counters.
    scope: str = "signin"

    def pairs(self) -> tuple[tuple[str, int], ...]:
        prefix = _PREFIX if self.scope == "signin" else f"palaute:{self.scope}:"
        return ((f"{prefix}acct:{self.account}", ACCOUNT_FREE),
                (f"{prefix}addr:{self.address}", ADDRESS_FREE))


def wait_s(n_failures: int, free: int) -> float:
    """Seconds to wait after the n-th consecutive failure."""
    if n_failures < free:
        return 0.0
    return float(min(2 ** (n_failures - free + 1), MAX_WAIT_S))


def remaining(conn: redis.Redis, keys: Keys, now: float) -> float:
    """Seconds before this account may be tried again from this address (0: now)."""
    untils = conn.mget([f"{key}:until" for key, _free in keys.pairs()])
    return max([0.0] + [float(u) - now for u in untils if u is not None])


def failed(conn: redis.Redis, keys: Keys, now: float) -> float:
    """Count a failed attempt; returns the wait it imposes (0 if none yet)."""
    longest = 0.0
    for key, free in keys.pairs():
        pipe = conn.pipeline()
        pipe.incr(key)
        pipe.expire(key, FORGET_AFTER_S)
        n = int(pipe.execute()[0])
        wait = wait_s(n, free)
        if wait:
            conn.set(f"{key}:until", repr(now + wait), ex=FORGET_AFTER_S)
            longest = max(longest, wait)
    return longest


def succeeded(conn: redis.Redis, keys: Keys) -> None:
    """A right password after any wait: the account's count starts again. The address's count
    is left to decay, so that one valid account cannot reset an address's guessing budget."""
    account_key = keys.pairs()[0][0]
    conn.delete(account_key, f"{account_key}:until")
