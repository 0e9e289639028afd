import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dixa_assets.exports_api.json_stream import ArrayDecoder, NotAnArray

# Strings made to contain the element separator, to tempt a wrong cut.
tricky_text = st.sampled_from(['}, {"x": 1}', "},{", '"}\\", {', "plain", "ø 😊", "\\"]) | st.text(
    max_size=12
)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=6,
)
objects = st.dictionaries(tricky_text, values, max_size=4)


def decode(body: bytes, chunk: int, batch_bytes: int) -> list:
    decoder = ArrayDecoder(batch_bytes=batch_bytes)
    out = []
    for start in range(0, len(body), chunk):
        for batch in decoder.feed(body[start : start + chunk]):
            out.extend(batch)
    for batch in decoder.close():
        out.extend(batch)
    return out


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(objects, max_size=40),
    chunk=st.integers(1, 300),
    batch_bytes=st.integers(2, 400),
    spaced=st.booleans(),
)
def test_any_array_of_objects_decodes_exactly_whatever_the_chunking(
    items, chunk, batch_bytes, spaced
):
    body = orjson.dumps(items, option=orjson.OPT_INDENT_2 if spaced else 0)
    assert decode(body, chunk, batch_bytes) == items


def test_runs_stay_near_the_requested_size():
    items = [{"id": i, "text": "x" * 50} for i in range(2000)]
    decoder = ArrayDecoder(batch_bytes=10_000)
    batches = list(decoder.feed(orjson.dumps(items))) + list(decoder.close())
    assert len(batches) > 10 and max(len(orjson.dumps(batch)) for batch in batches) < 12_000


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"data": []}', NotAnArray),
        (b"<html><body>502 Bad Gateway</body></html>", orjson.JSONDecodeError),
        (b'[{"id": 1}, {"id": 2', orjson.JSONDecodeError),
        (b"", orjson.JSONDecodeError),
    ],
)
def test_what_is_not_a_whole_array_is_an_error(body, error):
    decoder = ArrayDecoder(batch_bytes=4)
    with pytest.raises(error):
        list(decoder.feed(body))
        list(decoder.close())
    assert decoder.head == body[:200]


def test_unchecked_batches_stay_bounded_when_elements_start_differently():
    # The likely cut looks for elements starting as the first one does ({"a":); these start
    # with other keys, so the plain separator is used once the buffer has grown four-fold.
    items = [{"a": 0}] + [{f"k{n % 7}": "x" * 20, "n": n} for n in range(1, 500)]
    decoder = ArrayDecoder(batch_bytes=100)
    batches = [b for b in decoder.feed_unchecked(orjson.dumps(items))]
    batches += list(decoder.close_unchecked())
    assert len(batches) > 10
    assert max(len(b.elements) for b in batches) < 4 * 100 + 200
    decoded = [orjson.loads(b.as_array()) for b in batches]
    assert [item for batch in decoded for item in batch] == items
