"""Query validation rules and bound semantics, without HTTP."""

from __future__ import annotations

import pytest

from dixa_assets.simulator.filters import (
    MAX_WINDOW_MS,
    FieldRange,
    QueryError,
    parse_conversation_query,
    parse_date,
    parse_message_query,
    parse_query_string,
)


def test_dates_are_ms_or_utc_days() -> None:
    assert parse_date("created_after", "1646151737080") == 1646151737080
    assert parse_date("created_after", "2022-01-01") == 1640995200000


@pytest.mark.parametrize("raw", ["", "yesterday", "2022-1-1", "2022-02-30", "-5", "1.5e12",
                                 "2022-01-01T00:00:00Z"])  # fmt: skip
def test_bad_dates_are_400_naming_the_parameter(raw: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_date("updated_before", raw)
    assert caught.value.status == 400
    assert "updated_before" in caught.value.message


def test_a_query_needs_an_after_and_a_before_or_csids() -> None:
    for params in ({}, {"created_after": "2024-01-01"}, {"closed_before": "2024-01-01"}):
        with pytest.raises(QueryError) as caught:
            parse_conversation_query(params)
        assert caught.value.status == 400
    assert parse_conversation_query({"csids": "1,2"}).csids == (1, 2)
    query = parse_conversation_query(
        {"created_after": "2024-01-01", "updated_before": "2024-02-15"}
    )
    assert [r.field for r in query.ranges] == ["created_at", "updated_at"]


def test_messages_only_filter_on_created() -> None:
    with pytest.raises(QueryError):
        parse_message_query({"csids": "1", "updated_after": "2024-01-01"})
    query = parse_message_query({"created_after": "2024-01-01", "created_before": "2024-01-02"})
    assert query.csids is None


def test_windows_longer_than_31_days_are_refused() -> None:
    after = 1_700_000_000_000
    ok = {"updated_after": str(after), "updated_before": str(after + MAX_WINDOW_MS)}
    assert parse_conversation_query(ok).ranges
    too_long = {**ok, "updated_before": str(after + MAX_WINDOW_MS + 1)}
    with pytest.raises(QueryError) as caught:
        parse_conversation_query(too_long)
    assert caught.value.status == 400 and "31 days" in caught.value.message
    with pytest.raises(QueryError):
        parse_message_query({"created_after": "2024-01-01", "created_before": "2024-02-02"})


def test_csids_limits() -> None:
    with pytest.raises(QueryError) as caught:
        parse_conversation_query({"csids": ",".join(str(i) for i in range(11))})
    assert (caught.value.status, caught.value.message) == (
        422, "Exceeded max allowed 10 csids per request",
    )  # fmt: skip
    for raw in ("", "1,,2", "a", "1;2"):
        with pytest.raises(QueryError) as caught:
            parse_conversation_query({"csids": raw})
        assert caught.value.status == 400


def test_repeated_parameters_are_refused() -> None:
    assert parse_query_string("a=1&b=2") == {"a": "1", "b": "2"}
    with pytest.raises(QueryError):
        parse_query_string("created_after=1&created_after=2")


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ("inclusive", [False, True, True, True, False]),
        ("exclusive", [False, False, True, False, False]),
        ("half_open", [False, True, True, False, False]),
    ],
)
def test_bound_semantics(bounds, expected: list[bool]) -> None:
    window = FieldRange("updated_at", after=100, before=200)
    assert [window.admits(v, bounds) for v in (99, 100, 150, 200, 201)] == expected
    assert not window.admits(None, bounds)
    assert FieldRange("updated_at", after=None, before=200).admits(150.0, bounds)
