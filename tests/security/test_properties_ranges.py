"""Properties of the Range parser (RFC 9110 §14), checked against a byte-set model.

No deadline: speed belongs to benchmarks; the structural bounds are in
``test_resource_limits.py``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servestatic.http.ranges import IGNORE, UNSATISFIABLE, RangeResult, parse_range

SETTINGS = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])

sizes = st.integers(min_value=0, max_value=300)
caps = st.integers(min_value=1, max_value=20)
ows = st.sampled_from(["", " ", "\t", "  "])


@st.composite
def specs(draw: st.DrawFn) -> tuple[str, tuple[int | None, int | None]]:
    """A syntactically valid range-spec and its (first, last) / (None, suffix) meaning."""
    kind = draw(st.sampled_from(["int", "open", "suffix"]))
    first = draw(st.integers(min_value=0, max_value=400))
    if kind == "suffix":
        length = draw(st.integers(min_value=0, max_value=400))
        return f"-{length}", (None, length)
    if kind == "open":
        return f"{first}-", (first, None)
    last = draw(st.integers(min_value=first, max_value=first + 400))
    return f"{first}-{last}", (first, last)


@st.composite
def headers(draw: st.DrawFn) -> tuple[str, list[tuple[int | None, int | None]]]:
    items = draw(st.lists(specs(), min_size=1, max_size=24))
    unit = draw(st.sampled_from(["bytes", "BYTES", "Bytes"]))
    members = []
    for text, _ in items:
        members.append(draw(ows) + text + draw(ows))
        if draw(st.booleans()) and draw(st.booleans()):
            members.append(draw(ows))  # empty list members are allowed (§5.6.1)
    return f"{unit}={','.join(members)}", [meaning for _, meaning in items]


def model(meanings: list[tuple[int | None, int | None]], size: int, cap: int) -> RangeResult:
    """The rule of ``docs/security.md``: cap, satisfiable subset, Σ > size, byte union."""
    if len(meanings) > cap:
        return IGNORE
    wanted: list[tuple[int, int]] = []
    for first, last in meanings:
        if first is None:
            assert last is not None
            if last > 0 and size > 0:
                wanted.append((max(0, size - last), size - 1))
        elif first < size:
            wanted.append((first, size - 1 if last is None else min(last, size - 1)))
    if not wanted:
        return UNSATISFIABLE
    if len(wanted) > 1 and sum(last - first + 1 for first, last in wanted) > size:
        return IGNORE
    covered = sorted({byte for first, last in wanted for byte in range(first, last + 1)})
    runs: list[tuple[int, int]] = []
    for byte in covered:
        if runs and byte == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], byte)
        else:
            runs.append((byte, byte))
    return tuple(runs)


def check_shape(result: RangeResult, size: int, cap: int) -> None:
    if isinstance(result, str):
        assert result in {IGNORE, UNSATISFIABLE}
        return
    assert 1 <= len(result) <= cap
    previous_last = -2
    for first, last in result:
        assert 0 <= first <= last < size  # never past EOF
        assert first > previous_last + 1  # sorted, no overlap, not adjacent (coalesced)
        previous_last = last


@SETTINGS
@given(headers(), sizes, caps)
def test_valid_headers_match_the_byte_set_model(
    header: tuple[str, list[tuple[int | None, int | None]]], size: int, cap: int
) -> None:
    text, meanings = header
    result = parse_range(text, size, cap)
    check_shape(result, size, cap)
    assert result == model(meanings, size, cap)


@SETTINGS
@given(st.text(max_size=200), sizes, caps)
def test_any_text_gives_a_well_formed_answer(text: str, size: int, cap: int) -> None:
    check_shape(parse_range(text, size, cap), size, cap)


@SETTINGS
@given(
    st.text(alphabet="bytes=0123456789-, \t;xX", max_size=120),
    sizes,
    caps,
)
def test_range_like_text_gives_a_well_formed_answer(text: str, size: int, cap: int) -> None:
    check_shape(parse_range(text, size, cap), size, cap)


@SETTINGS
@given(
    headers(),
    st.sampled_from(["5-1", "a-1", "1-b", "1", "-", "--1", "1-2-3", "0x1-2", "+1-2", " 1 -2"]),
    sizes,
    st.integers(min_value=1, max_value=20),
)
def test_one_invalid_spec_invalidates_the_header(
    header: tuple[str, list[tuple[int | None, int | None]]], bad: str, size: int, where: int
) -> None:
    """§14.1.1: a range-set with an invalid spec is ignored as a whole (200), unless the
    cap was hit first (also 200)."""
    text, _ = header
    unit, _, members = text.partition("=")
    parts = members.split(",")
    parts.insert(where % (len(parts) + 1), bad)
    assert parse_range(f"{unit}={','.join(parts)}", size, 1000) == IGNORE


@SETTINGS
@given(specs(), sizes)
def test_single_satisfiable_range_is_exact(
    spec: tuple[str, tuple[int | None, int | None]], size: int
) -> None:
    text, (first, last) = spec
    result = parse_range("bytes=" + text, size, 16)
    if first is None:
        assert last is not None
        if last == 0 or size == 0:
            assert result == UNSATISFIABLE
        else:
            assert result == ((max(0, size - last), size - 1),)
    elif first >= size:
        assert result == UNSATISFIABLE
    else:
        assert result == ((first, size - 1 if last is None else min(last, size - 1)),)
