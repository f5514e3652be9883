"""The SQL of an outcome's record and of a counter flush, built once at import.

Built once: SQLAlchemy's compiled cache then skips compiling them again, and the
PostgreSQL record is one prepared statement for the life of a recording connection.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select, update

from .tables import OPEN_RUN, campaigns, messages, sent_emails

# The per-message record on PostgreSQL: one prepared statement, one round trip.
# ``COALESCE``: a channel not given keeps what it had. Idempotent, so the records a
# PostgreSQL crash lost can be written again.
# It also answers the campaign's status if the campaign still has this message's run
# (NULL otherwise): the sender reads that answer right before the next message's final
# bytes go out, so a pause or a stop halts every connection after at most the one
# message in flight, at no extra round trip (a primary-key read of one row).
PG_RECORD = f"""
UPDATE {messages.name} SET status = $1, error = $2, error_code = $8, sent_at = $3::timestamptz,
    claimed_by = NULL, claim_expires_at = NULL, retry_at = NULL, tries = COALESCE($9::int, tries),
    mail_status = COALESCE($4, mail_status),
    sms_status = COALESCE($5, sms_status),
    provider_message_id = COALESCE($6, provider_message_id)
WHERE id = $7::bigint
RETURNING (SELECT c.status FROM {campaigns.name} c
           WHERE c.id = {messages.name}.campaign_id AND c.run_key = {messages.name}.run_key)
""".encode()
PG_RECORD_NAME = b"broadcasts_record"

RECORD_CHANNELS = ("mail_status", "sms_status", "provider_message_id")

# A deferred message (a temporary answer about its recipient): it leaves its claim, still
# pending, and waits until retry_at. COALESCE as above.
DEFER = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(
        claimed_by=None,
        claim_expires_at=None,
        tries=bindparam("b_tries"),
        retry_at=bindparam("b_retry_at", type_=messages.c.retry_at.type),
        error=bindparam("b_error"),
        mail_status=func.coalesce(
            bindparam("b_mail_status", type_=messages.c.mail_status.type), messages.c.mail_status
        ),
        sms_status=func.coalesce(bindparam("b_sms_status", type_=messages.c.sms_status.type), messages.c.sms_status),
        provider_message_id=func.coalesce(
            bindparam("b_provider_message_id", type_=messages.c.provider_message_id.type),
            messages.c.provider_message_id,
        ),
    )
    .returning(messages.c.id)
)

# How long the answer to one record may take before the connection counts as lost.
RECORD_TIMEOUT = 30.0

# The same answer on SQLite, read in the record's own transaction (no round trip there).
CAMPAIGN_OF_RUN = select(campaigns.c.status).where(
    campaigns.c.id == bindparam("b_campaign_id"), campaigns.c.run_key == bindparam("b_run_key")
)

# Built once: SQLAlchemy's compiled cache then skips compiling it again. Only while the
# campaign still has this run open (running or paused): completing or stopping a run sets
# the counters from a COUNT of its messages, which already holds every recorded outcome;
# adding a worker's late outcomes on top would count them twice. A pause counts nothing,
# so the outcomes recorded around it are added here. No row back = the run is over for us.
ADD_TO_COUNTERS = (
    update(campaigns)
    .where(
        campaigns.c.id == bindparam("b_campaign_id"),
        campaigns.c.run_key == bindparam("b_run_key"),
        campaigns.c.status.in_(OPEN_RUN),
    )
    .values(
        sent_count=campaigns.c.sent_count + bindparam("b_sent"),
        failed_count=campaigns.c.failed_count + bindparam("b_failed"),
        updated_at=bindparam("b_now", type_=campaigns.c.updated_at.type),
    )
    .returning(*campaigns.c)
)

# A flush's sent-e-mail rows by COPY: one round trip, no statement to parse, and the rows
# are formatted by psycopg's C code (an array per column for ``unnest`` was formatted in
# Python: about a twentieth of a worker's time). COPY cannot skip a row that is already
# there (the recovery sweep may have written it meanwhile); when it meets one, nothing of
# it was written and the rows go again through ``INSERT_SENT_EMAILS``, which skips it.
SENT_EMAIL_COLUMNS = (
    "organization_id",
    "message_id",
    "message_id_header",
    "sender",
    "recipient",
    "subject",
    "sent_at",
    "response",
)
COPY_SENT_EMAILS = f"COPY {sent_emails.name} ({', '.join(SENT_EMAIL_COLUMNS)}) FROM STDIN"
INSERT_SENT_EMAILS = (
    f"INSERT INTO {sent_emails.name} ({', '.join(SENT_EMAIL_COLUMNS)}) "
    "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], "
    "%s::timestamptz[], %s::text[]) ON CONFLICT (message_id) DO NOTHING"
)
