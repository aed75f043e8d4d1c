"""Properties of Accept-Encoding negotiation (RFC 9110 §12.5.3)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from servestatic.http.negotiation import IDENTITY, choose, choose_ranked, parse_accept_encoding

SETTINGS = settings(deadline=None, max_examples=300)

CODINGS = ["identity", "gzip", "br", "zstd"]
LISTABLE = [*CODINGS, "x-gzip", "deflate", "compress", "*"]


@st.composite
def qvalues(draw: st.DrawFn) -> tuple[str, int]:
    """A valid qvalue as text and its weight in thousandths."""
    if draw(st.booleans()):
        weight = draw(st.integers(min_value=0, max_value=999))
        text = f"0.{weight:03d}".rstrip("0")  # "0.5", "0.25", "0.125", or "0." for zero
        if text == "0." and draw(st.booleans()):
            text = "0"
        return text, weight
    return draw(st.sampled_from([("1", 1000), ("1.0", 1000), ("1.000", 1000)]))


@st.composite
def accept_headers(draw: st.DrawFn) -> tuple[str, dict[str, int]]:
    """A well-formed header and, per listed coding (aliases folded), its highest weight."""
    names = draw(st.lists(st.sampled_from(LISTABLE), max_size=8))
    members: list[str] = []
    weights: dict[str, int] = {}
    for name in names:
        spelled = "".join(
            char.upper() if draw(st.booleans()) else char for char in name
        )  # codings are case-insensitive
        if draw(st.booleans()):
            text, weight = draw(qvalues())
            q = draw(st.sampled_from(["q", "Q"]))
            member = f"{spelled}{draw(st.sampled_from(['', ' ']))};{q}={text}"
        else:
            member, weight = spelled, 1000
        members.append(draw(st.sampled_from(["", " ", "\t"])) + member)
        canonical = "gzip" if name == "x-gzip" else name
        weights[canonical] = max(weight, weights.get(canonical, -1))
    return ",".join(members), weights


def weight_of(weights: dict[str, int], coding: str) -> int:
    """§12.5.3 as a model: listed weight, else ``*``, else identity is acceptable (least
    preferred, represented as 1 thousandth), anything else is not."""
    if coding in weights:
        return weights[coding]
    if "*" in weights:
        return weights["*"]
    return 1 if coding == IDENTITY else 0


available_lists = st.lists(
    st.tuples(st.sampled_from(CODINGS), st.integers(min_value=0, max_value=10_000)),
    min_size=1,
    max_size=4,
    unique_by=lambda item: item[0],
)


@SETTINGS
@given(accept_headers(), available_lists)
def test_choice_has_maximal_weight_and_never_q0(
    header: tuple[str, dict[str, int]], available: list[tuple[str, int]]
) -> None:
    text, weights = header
    chosen = choose(text, available)
    best = max(weight_of(weights, coding) for coding, _ in available)
    if best == 0:
        assert chosen is None  # nothing acceptable: 406
        return
    assert chosen is not None
    coding, size = available[chosen]
    assert weight_of(weights, coding) == best  # a maximal-weight coding
    assert weight_of(weights, coding) > 0  # q=0 means "not acceptable", never chosen
    ties = [s for c, s in available if weight_of(weights, c) == best]
    assert size == min(ties)  # ties go to the smaller representation


@SETTINGS
@given(accept_headers(), available_lists, st.randoms(use_true_random=False))
def test_member_order_does_not_matter(
    header: tuple[str, dict[str, int]], available: list[tuple[str, int]], random: object
) -> None:
    text, _ = header
    members = text.split(",")
    shuffled = list(members)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert choose(text, available) == choose(",".join(shuffled), available)


@SETTINGS
@given(available_lists)
def test_no_header_means_identity_only(available: list[tuple[str, int]]) -> None:
    chosen = choose(None, available)
    if any(coding == IDENTITY for coding, _ in available):
        assert chosen is not None
        assert available[chosen][0] == IDENTITY
    else:
        assert chosen is None


@SETTINGS
@given(st.text(max_size=200), available_lists)
def test_any_text_is_handled(text: str, available: list[tuple[str, int]]) -> None:
    chosen = choose(text, available)
    assert chosen is None or 0 <= chosen < len(available)
    preferences = parse_accept_encoding(text)
    assert all(0 <= weight <= 1000 for weight in preferences.values())
    assert all(name == name.lower() for name in preferences)


@SETTINGS
@given(
    st.lists(st.sampled_from(CODINGS), min_size=1, max_size=4, unique=True),
    st.sampled_from(["0", "0.0", "0.00", "0.000"]),
)
def test_explicit_q0_excludes_a_coding(codings: list[str], zero: str) -> None:
    available = [(coding, 100 - index) for index, coding in enumerate(CODINGS)]
    header = ", ".join(f"{coding};q={zero}" for coding in codings) + ", *;q=0.5"
    chosen = choose(header, available)
    assert chosen is None or available[chosen][0] not in codings
    assert (chosen is None) == (set(codings) == set(CODINGS))


def _ranked(available: list[tuple[str, int]]) -> tuple[list[int], tuple[str, ...]]:
    """What the index stores: positions by (size, then listed order) and the coding names."""
    order = sorted(range(len(available)), key=lambda index: (available[index][1], index))
    return order, tuple(available[index][0] for index in order)


@SETTINGS
@given(
    st.one_of(st.none(), accept_headers().map(lambda pair: pair[0]), st.text(max_size=300)),
    available_lists,
)
def test_memoised_ranked_choice_agrees_with_choose(
    header: str | None, available: list[tuple[str, int]]
) -> None:
    """The per-request path (a memoised decision over size-ordered codings) picks the same
    representation as the reference ``choose``, on first and on repeated calls."""
    order, ranking = _ranked(available)
    expected = choose(header, available)
    for _ in range(2):
        position = choose_ranked(header, ranking)
        assert (None if position is None else order[position]) == expected


def test_ranked_decisions_are_bounded_and_skip_long_headers() -> None:
    from servestatic.http import negotiation as _negotiation

    long_header = "gzip, " + "x" * 400
    assert choose_ranked(long_header, ("br", "gzip", "identity")) == 1
    assert (long_header, ("br", "gzip", "identity")) not in _negotiation._decisions
    for number in range(_negotiation._DECISIONS_LIMIT + 10):
        choose_ranked(f"gzip;q=0.{number % 1000:03d}, br-{number}", ("gzip", "identity"))
    assert len(_negotiation._decisions) <= _negotiation._DECISIONS_LIMIT
