"""flask_broadcasts.services._common: what every service shares. A user relies on a request
hearing about all of its problems at once with the right status (422 invalid, 404 a reference to
nothing, 400 both, each error keeping its own), on pointers naming the attribute even when its
name holds ``/`` or ``~``, and on an id being only our integer key (never ``True``, ``"1e3"``,
``" 7"`` or an overflowing one)."""

from __future__ import annotations

import pytest

from flask_broadcasts.errors import BadRequestError, InvalidInputError, NotFoundError
from flask_broadcasts.services._common import Problems, not_found_at, parse_id, pointer


@pytest.mark.parametrize(
    ("value", "parsed"),
    [(7, 7), ("7", 7), ("007", 7), ("9" * 18, int("9" * 18))]
    + [(True, None), (False, None), ("9" * 19, None), ("1e3", None), (" 7", None), ("-7", None), ("٣", None)]
    + [(None, None), (7.0, None), ("", None)],
)
def test_an_id_is_our_integer_key_or_nothing(value, parsed):
    assert parse_id(value) == parsed


def test_a_pointer_escapes_each_segment():
    assert pointer("name") == "/data/attributes/name"
    assert pointer("send_window", "end") == "/data/attributes/send_window/end"
    # RFC 6901: "~" is "~0" and "/" is "~1", so "a/b" stays one segment.
    assert pointer("subject_i18n", "fr/CA~x") == "/data/attributes/subject_i18n/fr~1CA~0x"


def test_one_problem_is_raised_as_itself_and_none_raises_nothing():
    problems = Problems()
    problems.raise_if_any()
    assert not problems
    problems.add("Required.", pointer("name"), "required")
    assert problems
    with pytest.raises(InvalidInputError) as raised:
        problems.raise_if_any()
    assert (raised.value.code, raised.value.error_code, raised.value.pointer) == (422, "required", pointer("name"))


def test_every_problem_is_heard_at_once_with_the_status_of_their_kinds():
    invalid = Problems()
    invalid.add("Required.", pointer("name"), "required")
    invalid.add("Too long.", pointer("subject"), "too_long")
    with pytest.raises(InvalidInputError) as raised:
        invalid.raise_if_any()
    assert raised.value.code == 422
    assert [e.pointer for e in raised.value.errors] == [pointer("name"), pointer("subject")]

    missing = Problems()
    missing.missing(not_found_at("template", "broadcast template", 5))
    missing.missing(not_found_at("audience", "broadcast audience", 6))
    with pytest.raises(NotFoundError) as raised:
        missing.raise_if_any()
    assert raised.value.code == 404
    assert [e.pointer for e in raised.value.errors] == [
        "/data/relationships/template/data",
        "/data/relationships/audience/data",
    ]

    both = Problems()
    both.add("Required.", pointer("name"), "required")
    both.missing(not_found_at("template", "broadcast template", 5))
    with pytest.raises(BadRequestError) as raised:
        both.raise_if_any()
    assert raised.value.code == 400
    assert [(e.code, e.error_code) for e in raised.value.errors] == [(422, "required"), (404, "not_found")]
