"""Big answers decoded by worker processes: the same records in the same order as decoding the
body in one piece, whatever cuts fell inside strings or nested arrays, and the same errors."""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dixa_assets.arrow.records import MalformedRecordError, records_to_table
from dixa_assets.arrow.schemas import MESSAGES
from dixa_assets.exports_api import Window
from dixa_assets.exports_api.decoding_pool import BatchesInFlight, DecodingPool
from dixa_assets.exports_api.json_stream import ArrayDecoder
from dixa_assets_tests.exports_api.test_json_stream import objects


@pytest.fixture(scope="module")
def pool():
    decoding = DecodingPool(2)
    yield decoding
    decoding.close()


def decode_in_pool(pool: DecodingPool, body: bytes, chunk: int, batch_bytes: int, convert=list):
    """The body fed in chunks, cut unchecked, decoded by the pool; every converted batch."""
    decoder = ArrayDecoder(batch_bytes=batch_bytes)
    in_flight = BatchesInFlight(pool, {}, convert)
    out = []
    for start in range(0, len(body), chunk):
        for batch in decoder.feed_unchecked(body[start : start + chunk]):
            out += [d.converted for d in in_flight.push(batch)]
    for batch in decoder.close_unchecked():
        out += [d.converted for d in in_flight.push(batch)]
    out += [d.converted for d in in_flight.finish()]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(objects, max_size=30),
    chunk=st.integers(1, 300),
    batch_bytes=st.integers(2, 200),
    spaced=st.booleans(),
)
def test_any_array_of_objects_comes_back_exactly_in_order(pool, items, chunk, batch_bytes, spaced):
    # Keys and strings hold "}, {" and nested arrays of objects: many cuts fall inside them.
    body = orjson.dumps(items, option=orjson.OPT_INDENT_2 if spaced else 0)
    batches = decode_in_pool(pool, body, chunk, batch_bytes)
    assert [item for batch in batches for item in batch] == items


def test_a_cut_inside_a_string_keeps_the_string_byte_for_byte(pool):
    # Whitespace around the separator inside a string must survive the join.
    items = [{"text": "a}  ,  {b" * 50, "n": n} for n in range(20)]
    body = orjson.dumps(items)
    batches = decode_in_pool(pool, body, 64, 40)
    assert [item for batch in batches for item in batch] == items


def test_a_truncated_body_fails_as_undecodable(pool):
    body = orjson.dumps([{"id": n, "text": "x" * 30} for n in range(50)])[:-25]
    with pytest.raises(orjson.JSONDecodeError):
        decode_in_pool(pool, body, 100, 100)


def test_a_non_object_element_is_reported_with_its_place_in_the_whole_body(pool):
    body = orjson.dumps([{"id": n, "text": "x" * 30} for n in range(50)] + [7])
    decoder = ArrayDecoder(batch_bytes=200)
    in_flight = BatchesInFlight(pool, {}, list)
    decoded = [d for b in decoder.feed_unchecked(body) for d in in_flight.push(b)]
    decoded += [d for b in decoder.close_unchecked() for d in in_flight.push(b)]
    decoded += list(in_flight.finish())
    seen = 0
    for batch in decoded:
        if batch.not_an_object is not None:
            assert seen + batch.not_an_object.index == 50
            assert batch.not_an_object.kind == "number"
            return
        seen += batch.elements
    pytest.fail("the number was not reported")


def test_a_record_that_cannot_be_stored_names_itself_across_the_process_boundary(pool):
    convert = _messages_table
    records = [{"id": f"m{n}", "csid": n, "created_at": 1_000 + n} for n in range(30)]
    records[17]["csid"] = True  # a boolean where an integer belongs
    body = orjson.dumps(records)
    with pytest.raises(MalformedRecordError, match=r"'csid' in record \d+ \(id='m17'\)"):
        decode_in_pool(pool, body, 10_000, 10_000, convert)
    error = MalformedRecordError("day", "csid", 3, "m3", "why")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_records_outside_the_window_are_counted_not_kept(pool):
    records = [{"id": f"m{n}", "csid": 1, "created_at": n} for n in range(10, 40)]
    decoder = ArrayDecoder(batch_bytes=100)
    in_flight = BatchesInFlight(pool, {"created_at": Window(20, 30)}, list)
    body = orjson.dumps(records)
    decoded = [d for b in decoder.feed_unchecked(body) for d in in_flight.push(b)]
    decoded += [d for b in decoder.close_unchecked() for d in in_flight.push(b)]
    decoded += list(in_flight.finish())
    kept = [r["created_at"] for d in decoded for r in d.converted]
    assert kept == list(range(20, 30))
    assert sum(d.edges for d in decoded) == 2  # 19 and 30 lie on the padded edges
    assert sorted(i for d in decoded for i in d.stray_ids) == sorted(
        f"m{n}" for n in [*range(10, 19), *range(31, 40)]
    )


def _messages_table(records):
    return records_to_table(records, MESSAGES, "test day")


def test_a_worker_that_dies_loses_nothing(tmp_path):
    # The first batch's worker exits as if killed for memory; every batch still comes back,
    # in order, decoded in this process from the bytes kept for it.
    items = [{"id": n, "text": "x" * 40} for n in range(300)]
    pool = DecodingPool(2)
    try:
        convert = functools.partial(_die_once, marker=tmp_path / "died")
        batches = decode_in_pool(pool, orjson.dumps(items), 1000, 500, convert)
    finally:
        pool.close()
    assert (tmp_path / "died").exists()
    assert [item for batch in batches for item in batch] == items


def _die_once(records, marker):
    in_a_worker = multiprocessing.parent_process() is not None
    if in_a_worker and not marker.exists():
        marker.touch()
        os._exit(1)
    return records
