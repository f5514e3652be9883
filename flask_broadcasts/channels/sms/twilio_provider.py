"""Twilio's Messages API through the official ``twilio`` package (``pip install flask-broadcasts[twilio]``)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from .base import SmsOptedOut, SmsOutcomeUnknown, SmsPermanentError, SmsResult, SmsTransientError

if TYPE_CHECKING:
    from twilio.rest import Client

logger = logging.getLogger("flask_broadcasts.sms")

__all__ = ["TwilioSmsProvider", "SmsConfigurationError"]

#: Twilio error codes that mean *our* setup is wrong (sender, service, account), not
#: the recipient: every message would fail the same way, so the batch waits and retries
#: (with backoff) until someone fixes the configuration, instead of failing everyone.
CONFIGURATION_ERROR_CODES = frozenset(
    {
        20003,  # authentication failed
        20404,  # resource not found (wrong account SID)
        21212,  # invalid 'From' number
        21603,  # 'From' phone number is required
        21606,  # 'From' number is not a valid, SMS-capable number of this account
        21701,  # messaging service does not exist
        21703,  # messaging service has no phone numbers
        21704,  # messaging service has no phone numbers in its sender pool
        21705,  # invalid messaging service SID
        30002,  # account suspended
    }
)
#: "Attempt to send to unsubscribed recipient": the recipient texted STOP to this sender.
OPTED_OUT_ERROR_CODE = 21610
#: HTTP statuses that say the request was not processed: retry later.
TRANSIENT_HTTP_STATUSES = frozenset({429, 503})


#: The ``Retry-After`` of this thread's last Twilio answer: the client is shared by the lanes
#: of a send job, and the REST exception does not carry the answer's headers.
_answers = threading.local()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (RFC 9110: seconds, or an HTTP date); ``None`` if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _http_client(timeout: float) -> Any:
    """Twilio's own HTTP client, remembering each answer's ``Retry-After`` per thread."""
    from twilio.http.http_client import TwilioHttpClient

    class RetryAfterClient(TwilioHttpClient):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            _answers.retry_after = None
            response = super().request(*args, **kwargs)
            _answers.retry_after = (response.headers or {}).get("Retry-After")
            return response

    return RetryAfterClient(timeout=timeout)


class SmsConfigurationError(SmsTransientError):
    """Twilio refused our credentials, sender or messaging service: retry once fixed."""


class TwilioSmsProvider:
    """Sends SMS through Twilio's Messages API.

    :param account_sid: the account (``AC...``); also the basic-auth user.
    :param auth_token: the account's auth token; also verifies status callbacks.
    :param from_: the sender number (E.164) ...
    :param messaging_service_sid: ... or a messaging service (``MG...``), which wins
        when both are given (Twilio picks the sender from the service's pool).
    :param base_url: replaces ``https://api.twilio.com`` (a regional edge, a proxy, or a
        local stand-in in tests).
    :param timeout: seconds before an unanswered request is given up (its outcome is
        then unknown).
    :param client: a ready ``twilio.rest.Client`` (the other connection options are
        then ignored).
    """

    name = "twilio"
    #: Same as :data:`flask_broadcasts.callbacks.TWILIO_CALLBACK_PATH`.
    callback_endpoint: str | None = "/broadcast-callbacks/twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        client: Client | None = None,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("Twilio needs BROADCASTS_TWILIO_ACCOUNT_SID and BROADCASTS_TWILIO_AUTH_TOKEN.")
        if not from_ and not messaging_service_sid:
            raise ValueError("Twilio needs BROADCASTS_TWILIO_FROM or BROADCASTS_TWILIO_MESSAGING_SERVICE_SID.")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid
        self.base_url = base_url
        self.timeout = timeout
        self._client = client

    @classmethod
    def from_settings(cls, settings: Any) -> TwilioSmsProvider:
        """Build from the ``BROADCASTS_TWILIO_*`` settings of an app."""
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            from_=settings.twilio_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            base_url=settings.twilio_base_url,
            timeout=settings.sms_timeout,
        )

    @property
    def client(self) -> Client:
        """The Twilio REST client, built on first use (never shared across a fork)."""
        # Built on first use, so a provider made before an RQ fork never shares its
        # connection pool with the work-horse.
        if self._client is None:
            from twilio.rest import Client

            client = Client(self.account_sid, self.auth_token, http_client=_http_client(self.timeout))
            if self.base_url:
                # Every Messages call resolves its URL from the `api` domain's base_url at
                # request time (twilio.base.domain.Domain.absolute_url), so this one
                # attribute redirects them, auth and form encoding unchanged.
                client.api.base_url = self.base_url.rstrip("/")
            self._client = client
        return self._client

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SmsResult:
        """Send through Twilio's Messages API; errors are mapped as :doc:`/channels` describes."""
        from twilio.base.exceptions import TwilioRestException, TwilioServiceException

        options: dict[str, Any] = {"to": to, "body": body}
        if self.messaging_service_sid:
            options["messaging_service_sid"] = self.messaging_service_sid
        else:
            options["from_"] = self.from_
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**options)
        except (TwilioRestException, TwilioServiceException) as error:
            raise _classify_api_error(error) from error
        except Exception as error:  # requests' network errors, and whatever else broke mid-call
            raise _classify_network_error(error) from error
        raw = {"sid": message.sid, "status": message.status, "to": message.to, "num_segments": message.num_segments}
        return SmsResult(provider_message_id=message.sid, status=str(message.status or ""), raw=raw)


def _classify_api_error(error: Exception) -> Exception:
    status = int(getattr(error, "status", 0) or 0)
    code = getattr(error, "code", None)
    detail = getattr(error, "msg", None) or getattr(error, "detail", None) or getattr(error, "title", "") or ""
    detail = str(detail).removeprefix("Unable to create record: ")
    reason = f"twilio {code or status}: {detail}".strip()
    if status in (401, 403) or code in CONFIGURATION_ERROR_CODES:
        logger.error("Twilio refused the SMS configuration (%s); the batch will be retried.", reason)
        return SmsConfigurationError(reason)
    if status in TRANSIENT_HTTP_STATUSES or code == 20429:
        # 429/503 with Retry-After: no new SMS from any worker before then (engine.pacing).
        return SmsTransientError(reason, after=parse_retry_after(getattr(_answers, "retry_after", None)))
    if status >= 500:
        # A 500/502/504 may come after Twilio queued the message: do not risk a duplicate.
        return SmsOutcomeUnknown(reason)
    if code == OPTED_OUT_ERROR_CODE:
        return SmsOptedOut(reason)
    return SmsPermanentError(reason)


def _classify_network_error(error: Exception) -> Exception:
    import requests
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    reason = f"twilio unreachable: {type(error).__name__}"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return SmsTransientError(reason)
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:  # requests wraps urllib3's errors in args, `reason` and __cause__
        cause = pending.pop()
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, (NewConnectionError, NameResolutionError, ConnectionRefusedError)):
            return SmsTransientError(reason)
        pending.extend(arg for arg in getattr(cause, "args", ()) if isinstance(arg, BaseException))
        for linked in (getattr(cause, "reason", None), cause.__cause__, cause.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)
    # The request left: Twilio may have queued the SMS before the connection broke.
    return SmsOutcomeUnknown(f"outcome_unknown: {reason}")
