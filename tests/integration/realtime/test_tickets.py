"""``flask_broadcasts.realtime.tickets``: the single-use tickets a browser opens its websocket with.

What a deployment relies on: a ticket opens at most one socket, for the organization it
was issued for; it lapses after ``BROADCASTS_WS_TICKET_TTL`` seconds; and Redis keeps
nothing a reader of its dump could open a socket with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flask_broadcasts.realtime.tickets import KEY_PREFIX, issue_ticket, principal_id, redeem_ticket
from flask_broadcasts.state import get_state


@pytest.fixture
def context(app):
    with app.app_context():
        yield get_state(app)


def test_a_ticket_is_redeemed_once_for_the_organization_it_was_issued_for(context):
    ticket, _ = issue_ticket("alice", "3")
    other, _ = issue_ticket(None, "1")
    assert redeem_ticket(ticket) == ("alice", "3")
    assert redeem_ticket(ticket) is None  # a second socket, on any process, is refused
    assert redeem_ticket(other) == (None, "1")


def test_redis_holds_only_a_hash_of_the_ticket_and_forgets_it_after_the_ttl(context):
    context.settings.ws_ticket_ttl = 20
    redis = context.redis
    existing = set(redis.scan_iter(match=KEY_PREFIX + "*"))  # other tests' tickets (the Redis may be shared)
    before = datetime.now(UTC).replace(microsecond=0)
    ticket, expires = issue_ticket("alice", "3")
    stored = {key: (redis.get(key), redis.ttl(key)) for key in set(redis.scan_iter(match=KEY_PREFIX + "*")) - existing}
    assert redeem_ticket(ticket) == ("alice", "3")
    [ours] = [key for key in stored if not redis.exists(key)]  # the one key the ticket used up
    value, ttl = stored[ours]
    assert ticket not in ours.decode() + value.decode()  # a dump of Redis opens nothing
    assert 0 < ttl <= 20
    assert before + timedelta(seconds=20) <= expires <= datetime.now(UTC) + timedelta(seconds=20)


def test_unknown_empty_or_oversized_tickets_are_refused(context):
    assert redeem_ticket("not-a-ticket") is None
    assert redeem_ticket("") is None
    assert redeem_ticket("x" * 129) is None


def test_the_principals_id_is_kept_as_text_when_it_has_one():
    class Member:
        id = 42

    assert principal_id(Member()) == "42"
    assert principal_id(object()) is None
