"""The client against the real simulator over HTTP: query rules, retries, and failure messages."""

from __future__ import annotations

import itertools
import logging

import pytest

from dixa_assets.exports_api import (
    DAY_MS,
    AuthenticationError,
    ExportsClient,
    InsecureTransportError,
    MalformedResponse,
    RequestRejected,
    RetriesExhausted,
    Window,
    WindowTooBig,
)
from dixa_assets_tests.conftest import TOKEN, day_ms

DAY = Window(*day_ms("2025-03-03"))


def client_for(simulator, token: str = TOKEN, **options) -> ExportsClient:
    defaults = {"requests_per_minute": None, "backoff_s": 0.01, "max_attempts": 4}
    return ExportsClient(token, simulator.url, **{**defaults, **options})


def exports(simulator) -> list:
    return [e for e in simulator.request_log if e.endpoint.startswith("/v1/")]


def test_messages_of_a_day_equal_the_ground_truth(simulator):
    with client_for(simulator) as client:
        answer = client.messages(created=DAY)
    truth = simulator.organisation.messages(DAY.start_ms, DAY.end_ms)
    assert [m["id"] for m in answer.records()] == [m["id"] for m in truth]
    assert answer.requests == 1 and answer.stray_ids == []


def test_windows_are_sent_as_padded_unix_ms(simulator):
    with client_for(simulator) as client:
        client.conversations(updated=DAY, created=Window(DAY.start_ms - DAY_MS, DAY.end_ms))
    (entry,) = exports(simulator)
    assert entry.params["updated_after"] == str(DAY.start_ms - 1)
    assert entry.params["updated_before"] == str(DAY.end_ms)
    assert entry.params["created_after"] == str(DAY.start_ms - DAY_MS - 1)


def test_every_filter_of_the_reference_is_supported(simulator):
    org = simulator.organisation
    with client_for(simulator) as client:
        for name in ("created", "updated", "closed", "last_message_created"):
            answer = client.conversations(**{name: DAY})
            expected = org.conversations(DAY.start_ms, DAY.end_ms, field=f"{name}_at")
            assert sorted(r["id"] for r in answer.records()) == sorted(r["id"] for r in expected)


def test_csids_are_sent_ten_at_a_time(simulator):
    ids = [r["id"] for r in simulator.organisation.conversations(*day_ms("2025-03-02"))][:23]
    with client_for(simulator) as client:
        answer = client.conversations(csids=ids)
    assert sorted(r["id"] for r in answer.records()) == sorted(ids)
    assert sorted(len(e.params["csids"].split(",")) for e in exports(simulator)) == [3, 10, 10]


def test_a_long_window_is_split_to_the_31_day_limit(simulator):
    window = Window(*day_ms("2025-01-01")[:1], day_ms("2025-03-01")[0])
    with client_for(simulator) as client:
        answer = client.messages(created=window)
    assert answer.requests == 2 and all(e.status == 200 for e in exports(simulator))
    truth = simulator.organisation.messages(window.start_ms, window.end_ms)
    assert sorted(m["id"] for m in answer.records()) == sorted(m["id"] for m in truth)


def test_pieces_come_in_order_and_cover_the_window(simulator):
    window = Window(*day_ms("2024-12-01")[:1], day_ms("2025-03-15")[0])
    with client_for(simulator, max_concurrency=2) as client:
        got = [piece.window for piece in client.message_pieces(created=window)]
    assert len(got) == 4 and got[0].start_ms == window.start_ms and got[-1].end_ms == window.end_ms
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(got))


@pytest.mark.parametrize(
    ("fmt", "least", "most"),
    [("seconds", 7, 7), ("http-date", 5, 7), ("absent", 0, 0.01)],  # absent: backoff_s 0.01
)
def test_429_waits_as_the_server_asks(simulator, fmt, least, most):
    simulator.faults.inject("429", count=1, retry_after=7, retry_after_format=fmt)
    slept: list[float] = []  # the client's waits, without waiting
    with client_for(simulator, sleep=slept.append) as client:
        client.messages(created=DAY)
        assert client.metrics.retries == 1
    assert least <= slept[0] <= most


def test_backoff_between_retries_is_exponential_with_full_jitter(simulator):
    simulator.faults.inject("503", count=7)
    slept: list[float] = []
    options = {"max_attempts": 8, "backoff_s": 1.0, "max_backoff_s": 16.0}
    with client_for(simulator, sleep=slept.append, **options) as client:
        client.messages(created=DAY)
    caps = [1, 2, 4, 8, 16, 16, 16]  # doubling from backoff_s, up to max_backoff_s
    assert all(0 <= wait <= cap for wait, cap in zip(slept, caps, strict=True))
    assert max(slept) > 1, "doubling: P(all 7 waits <= 1 s) is 2**-18"
    assert slept != caps, "full jitter: a random wait below the cap, not the cap"


TOO_BIG = ["502", "504", "drop_mid_body", "truncate"]


@pytest.mark.parametrize("kind", ["500", "503", "drop", *TOO_BIG])
def test_transient_faults_are_retried(simulator, kind):
    simulator.faults.inject(kind, count=2 if kind not in TOO_BIG else 1)
    simulator.faults.inject("503", count=1)
    with client_for(simulator) as client:
        answer = client.messages(created=DAY)
        assert client.metrics.retries == 3 - (kind in TOO_BIG)
        assert client.metrics.window_splits == 0
    assert len(answer.records()) == len(simulator.organisation.messages(DAY.start_ms, DAY.end_ms))


@pytest.mark.parametrize("kind", TOO_BIG)
def test_a_piece_too_big_twice_is_halved_and_the_size_is_kept(simulator, kind):
    simulator.faults.inject(kind, count=2)
    three_days = Window(DAY.start_ms, DAY.start_ms + 3 * DAY_MS)
    with client_for(simulator, max_concurrency=1, max_window_days=2) as client:
        pieces = [piece.window for piece in client.message_pieces(created=three_days)]
        assert client.metrics.window_splits == 1
    # 2 days = 1.5-day pieces; the first failed twice, so 0.75-day halves, and the rest too.
    assert [p.span_ms for p in pieces] == [DAY_MS * 3 // 4] * 4
    # In order: the halves take their whole's place, first half first.
    assert [p.start_ms for p in pieces] == [DAY.start_ms + i * DAY_MS * 3 // 4 for i in range(4)]
    truth = simulator.organisation.messages(three_days.start_ms, three_days.end_ms)
    with client_for(simulator) as client:
        got = client.messages(created=three_days).records()
    assert sorted(m["id"] for m in got) == sorted(m["id"] for m in truth)


def test_a_window_too_big_even_at_one_hour_fails_clearly(simulator):
    simulator.faults.inject("504", count=40)
    with client_for(simulator, max_attempts=3) as client, pytest.raises(WindowTooBig) as err:
        client.messages(created=DAY)
    assert "one hour" in str(err.value) and "HTTP 504" in str(err.value)
    # 24 h -> 12 -> 6 -> 3 -> 1.5: halves of 1.5 h would be under an hour.
    assert client.metrics.window_splits == 4 and client.metrics.smallest_window_hours == 1.5


def test_a_slow_answer_times_out_and_is_retried(simulator):
    simulator.faults.inject("slow", count=1, seconds=2.0)
    with client_for(simulator, timeout_s=0.5) as client:
        client.messages(created=DAY)
        assert client.metrics.status_counts.get("ReadTimeout") == 1


def test_persistent_5xx_gives_up_with_a_clear_error(simulator):
    simulator.faults.inject("503", count=10)
    with client_for(simulator, max_attempts=3) as client, pytest.raises(RetriesExhausted) as err:
        client.messages(created=DAY)
    assert "failed 3 times" in str(err.value) and "HTTP 503" in str(err.value)
    assert len(exports(simulator)) == 3


@pytest.mark.parametrize("kind", ["401", "403"])
def test_a_refused_token_fails_at_once_without_printing_it(simulator, kind):
    simulator.faults.inject(kind, count=1)
    with client_for(simulator) as client, pytest.raises(AuthenticationError) as err:
        client.messages(created=DAY)
    assert "refused the token" in str(err.value) and TOKEN not in str(err.value)
    assert len(exports(simulator)) == 1


def test_a_wrong_token_is_refused_by_the_server(simulator):
    with client_for(simulator, token="wrong") as client, pytest.raises(AuthenticationError):
        client.messages(created=DAY)


def test_a_missing_token_is_a_clear_error_before_any_request():
    with pytest.raises(AuthenticationError, match="DIXA_API_TOKEN"):
        ExportsClient("", "http://127.0.0.1:1")


@pytest.mark.parametrize("kind", ["400", "404"])
def test_other_4xx_fail_at_once_with_the_servers_message(simulator, kind):
    simulator.faults.inject(kind, count=1)
    with client_for(simulator) as client, pytest.raises(RequestRejected) as err:
        client.messages(created=DAY)
    assert err.value.status_code == int(kind) and len(exports(simulator)) == 1
    assert "/v1/message_export" in str(err.value)


@pytest.mark.parametrize("kind", ["html_200", "object_200"])
def test_a_200_that_is_not_a_json_array_names_endpoint_window_and_body(simulator, kind):
    simulator.faults.inject(kind, count=5)
    with client_for(simulator) as client, pytest.raises((MalformedResponse, RetriesExhausted)) as e:
        client.messages(created=DAY)
    message = str(e.value)
    assert "/v1/message_export" in message and str(DAY.start_ms - 1) in message
    assert ("<" in message) if kind == "html_200" else ("object" in message)


def test_plain_http_to_another_host_is_refused():
    with pytest.raises(InsecureTransportError, match="clear text"):
        ExportsClient(TOKEN, "http://exports.example.com")
    ExportsClient(TOKEN, "http://exports.example.com", allow_insecure_http=True).close()


def test_records_outside_the_window_are_dropped_counted_and_strays_logged(simulator, caplog):
    simulator.faults.inject("outside_window", count=1)  # 2 on the padded edges, 2 far beyond
    with client_for(simulator) as client, caplog.at_level(logging.INFO):
        answer = client.messages(created=DAY)
        metrics = client.metrics
    org = simulator.organisation
    truth = [m["id"] for m in org.messages(DAY.start_ms, DAY.end_ms)]
    # The simulator's bounds are inclusive: its own records on the padded edges come too.
    edges = len(org.messages(DAY.start_ms - 1, DAY.end_ms + 1)) - len(truth) + 2
    assert sorted(m["id"] for m in answer.records()) == sorted(truth)
    assert (answer.edge_records, metrics.edge_records) == (edges, edges)
    assert len(answer.stray_ids) == metrics.stray_records == 2
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING).getMessage()
    assert "outside the requested bounds" in warning
    assert all(str(stray) in warning for stray in answer.stray_ids)
    assert any("padded" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


def test_an_element_that_is_not_an_object_is_named_by_its_position(simulator):
    record = dict(simulator.organisation.messages(DAY.start_ms, DAY.end_ms)[0])
    simulator.faults.inject("payload_200", count=1, payload=[record, {"id": "x"}, 7])
    with client_for(simulator) as client, pytest.raises(MalformedResponse) as err:
        client.messages(created=DAY)
    assert "element 2 of the array is a JSON number" in str(err.value)
    assert len(exports(simulator)) == 1
