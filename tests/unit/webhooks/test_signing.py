"""flask_broadcasts.webhooks.signing: what a receiver's own Standard Webhooks library accepts.

The published test vector of the Standard Webhooks specification is reproduced exactly (a
wrong delimiter, alphabet or key decoding would pass any test that only signs and verifies
with our own code), and a receiver verifying with the reference ``standardwebhooks``
package accepts every attempt — with either secret while one is being rotated.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from flask_broadcasts.webhooks.signing import SECRET_PREFIX, new_event_id, new_secret, signed_headers

#: The specification's vector: secret, id, timestamp, body, and the signature they give.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_AT = datetime.fromtimestamp(1614265330, UTC)
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_test_vector_is_reproduced_exactly() -> None:
    headers = signed_headers([VECTOR_SECRET], VECTOR_ID, VECTOR_AT, VECTOR_BODY)
    assert headers == {
        "content-type": "application/json",
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": VECTOR_SIGNATURE,
    }


def test_the_timestamp_is_the_same_instant_whatever_zone_it_was_given_in() -> None:
    in_paris = VECTOR_AT.astimezone(timezone(timedelta(hours=1)))
    assert signed_headers([VECTOR_SECRET], VECTOR_ID, in_paris, VECTOR_BODY)["webhook-signature"] == VECTOR_SIGNATURE


def test_during_a_rotation_a_receiver_holding_either_secret_accepts_the_attempt() -> None:
    old, new = new_secret(), new_secret()
    body = json.dumps({"type": "campaign.completed", "data": {"id": "7"}})
    now = datetime.now(UTC)
    headers = signed_headers([new, old], new_event_id(), now, body)

    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)  # a receiver with any other secret refuses it
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace("7", "8"), headers)  # and an altered body


def test_new_secrets_and_event_ids_are_of_the_specified_form_and_never_repeat() -> None:
    secrets = {new_secret() for _ in range(100)}
    ids = {new_event_id() for _ in range(100)}
    assert len(secrets) == len(ids) == 100
    for secret in secrets:
        assert secret.startswith(SECRET_PREFIX)
        assert 24 <= len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) <= 64
    assert all(event_id.startswith("msg_") for event_id in ids)
