"""The one retry policy: bounded, honours the server's wait, gives up on an unreasonable one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import FatalError, RetriableError
from connectors.retry import RetryPolicy, server_wait

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def flaky(failures: list[Exception]):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def call() -> str:
        calls["n"] += 1
        if failures:
            raise failures.pop(0)
        return "ok"

    return call, calls


def test_retries_until_success_and_sleeps_what_the_server_asked() -> None:
    slept: list[float] = []
    policy = RetryPolicy(sleep=slept.append, initial=0.0)
    call, calls = flaky([RetriableError("502"), RetriableError("429", wait_seconds=30)])
    assert policy.call(call, what="GET /x") == "ok"
    assert calls["n"] == 3
    assert slept[1] == 30


def test_is_bounded() -> None:
    policy = RetryPolicy(attempts=3, scale=0, sleep=lambda _: None)
    call, calls = flaky([RetriableError("503")] * 10)
    with pytest.raises(RetriableError, match="503"):
        policy.call(call, what="GET /x")
    assert calls["n"] == 3


def test_fatal_errors_are_not_retried() -> None:
    call, calls = flaky([FatalError("401 Bad credentials")])
    with pytest.raises(FatalError):
        RetryPolicy(scale=0).call(call, what="GET /x")
    assert calls["n"] == 1


def test_gives_up_at_once_on_a_wait_longer_than_a_cycle_should_block() -> None:
    call, calls = flaky([RetriableError("403 rate limit", wait_seconds=3600)])
    with pytest.raises(RetriableError):
        RetryPolicy(max_server_wait=900, sleep=lambda _: None).call(call, what="GET /x")
    assert calls["n"] == 1


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "60"}, 60.0),
        ({"retry-after": "Wed, 25 Nov 2026 08:02:00 GMT"}, 120.0),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW.timestamp()) + 90)},
         90.0),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-25T08:05Z"}, 300.0),
        ({"X-RateLimit-Remaining": "12", "X-RateLimit-Reset": "1"}, None),
        ({}, None),
    ],
)
def test_server_wait(headers: dict[str, str], seconds: float | None) -> None:
    assert server_wait(headers, now=NOW) == seconds


@pytest.mark.parametrize(("outcomes", "landed", "expected", "calls"), [
    # The first post answers: nothing is looked for.
    (["id-1"], [], "id-1", ["post"]),
    # The answer was lost but the comment landed: found, not posted again.
    ([RetriableError("read timed out")], ["id-1"], "id-1", ["post", "find"]),
    # Lost and not landed: looked for, then posted again.
    ([RetriableError("502"), "id-2"], [None], "id-2", ["post", "find", "post"]),
    # Twice lost, landed the second time.
    ([RetriableError("502"), RetriableError("504")], [None, "id-2"], "id-2",
     ["post", "find", "post", "find"]),
])
def test_post_once_looks_for_the_record_before_every_retry(
    outcomes: list[object], landed: list[str | None], expected: str, calls: list[str]
) -> None:
    seen: list[str] = []

    def post() -> str:
        seen.append("post")
        result = outcomes.pop(0)
        if isinstance(result, Exception):
            raise result
        return str(result)

    def find() -> str | None:
        seen.append("find")
        return landed.pop(0)

    policy = RetryPolicy(scale=0, sleep=lambda _: None)
    assert policy.post_once(post, find=find, what="POST /comments") == expected
    assert seen == calls


def test_post_once_does_not_retry_a_refusal() -> None:
    def refused() -> str:
        raise FatalError("403 locked issue")

    def find() -> str | None:
        raise AssertionError("a refused post is not looked for")

    with pytest.raises(FatalError, match="locked"):
        RetryPolicy(scale=0).post_once(refused, find=find, what="POST /comments")
