"""``{prefix}/broadcast-events?o=<organization>[&campaign=<id>]``: live campaign events.

Everything that can refuse a client happens in :func:`guard`, *before* the upgrade, and
answers with a plain HTTP JSON:API error: 403 for a foreign ``Origin``, 401 without a
valid Bearer token or ticket, 400 for a malformed ``o``/``campaign``, 403 for a
non-member, 503 when the Redis subscription is not live. A ``101`` therefore means the
socket is authorized *and* registered: every event published afterwards reaches it.

After the upgrade the request thread only writes (mailbox → socket); a small reader
thread checks what the client sends and asks the writer to close when it misbehaves.
"""

from __future__ import annotations

import json
import socket
import threading

from flask import Blueprint, Response, g, request
from flask_sock import Sock
from redis.exceptions import RedisError
from simple_websocket import ConnectionClosed
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from ..auth import ORGANIZATION_ID, authenticate, bearer_token, parse_organization_id
from ..errors import BadRequestError, ForbiddenError, UnauthorizedError
from ..jsonapi import error_response
from ..jsonapi.error_documents import errors_for
from ..state import get_state
from .hub import Subscriber, get_hub
from .mailbox import Closed, Mailbox
from .origins import origin_allowed
from .tickets import principal_id, redeem_ticket

ENDPOINT = "broadcast_events"
#: Largest client frame, in bytes; larger ones are closed with 1009.
MAX_CLIENT_FRAME = 4096
#: How long an upgrade waits for the process's Redis subscription before answering 503.
SUBSCRIBE_WAIT = 3.0
#: Seconds between two checks of a quiet socket for a close the reader was not woken for.
READ_POLL = 1.0
#: Seconds a closing socket waits for the client's close reply.
CLOSE_WAIT = 2.0
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009

sock = Sock()


def register_websocket(blueprint: Blueprint) -> None:
    """Add the websocket route, its upgrade guard and its cleanup to ``blueprint``."""
    blueprint.before_request(guard)
    blueprint.teardown_request(_release)
    sock.route("/broadcast-events", bp=blueprint, endpoint=ENDPOINT)(broadcast_events)


def guard() -> Response | None:
    """``before_request``: refuse before the upgrade, or register the subscriber."""
    if request.endpoint != f"{request.blueprint}.{ENDPOINT}":
        return None
    settings = get_state().settings
    try:
        if not origin_allowed(request.headers.get("Origin"), request.host, settings.ws_allowed_origins):
            raise ForbiddenError("This Origin may not open the event stream.")
        principal, organization_id = _authenticate()
        campaign_id = request.args.get("campaign") or None
        if campaign_id is not None and not ORGANIZATION_ID.match(campaign_id):
            raise BadRequestError("The query parameter 'campaign' is not a valid id.", parameter="campaign")
    except HTTPException as error:
        return refusal(error)
    except RedisError:  # tickets live in Redis
        return _unavailable()
    subscriber = Subscriber(organization_id, campaign_id, Mailbox(settings.ws_queue_size), principal)
    if not get_hub().register(subscriber, wait=SUBSCRIBE_WAIT):
        return _unavailable()
    g.broadcasts_subscriber = subscriber
    return None


def refusal(error: HTTPException) -> Response:
    """The JSON:API error document refusing an upgrade (401s carry ``WWW-Authenticate``)."""
    status, errors = errors_for(error)
    headers = [("WWW-Authenticate", 'Bearer realm="broadcasts"')] if status == 401 else []
    return error_response(status, errors, headers)


def _unavailable() -> Response:
    response = refusal(ServiceUnavailable("Live events are unavailable; retry shortly."))
    response.headers["Retry-After"] = "5"
    return response


def _authenticate() -> tuple[str | None, str]:
    """``(principal id, organization id)`` from the Bearer header or else a ``ticket``."""
    token = bearer_token()
    ticket = request.args.get("ticket")
    if token is not None or not ticket:
        tenant = authenticate(token, request.args.get("o"))
        return principal_id(tenant.principal), tenant.organization_id
    redeemed = redeem_ticket(ticket)
    if redeemed is None:
        raise UnauthorizedError("The ticket is unknown, expired or already used.")
    organization_id = parse_organization_id(request.args.get("o"))
    if redeemed[1] != organization_id:
        raise ForbiddenError("The ticket was issued for another organization.", parameter="o")
    return redeemed[0], organization_id


def broadcast_events(ws) -> None:  # type: ignore[no-untyped-def]
    """The socket's life: write what the mailbox hands out until it is closed."""
    subscriber: Subscriber = g.pop("broadcasts_subscriber")
    mailbox = subscriber.mailbox
    ws.max_message_size = MAX_CLIENT_FRAME  # simple-websocket stops buffering (1009) above it
    reader = threading.Thread(target=_read_client_frames, args=(ws, mailbox), name="broadcasts-ws-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = mailbox.take()
            if isinstance(item, Closed):
                if ws.connected:
                    ws.close(item.code, item.reason)
                return
            ws.send(item)
    except (ConnectionClosed, OSError):
        return
    finally:
        get_hub().unregister(subscriber)
        mailbox.close(1000, "")
        _finish(ws)


def _finish(ws) -> None:  # type: ignore[no-untyped-def]
    """Let simple-websocket's I/O thread end before the server takes the socket back.

    Otherwise gunicorn's closing drain can swallow the client's close reply and leave
    that (non-daemon) thread blocked in ``recv`` until the client drops the connection,
    which also stalls the worker's shutdown.
    """
    thread = getattr(ws, "thread", None)
    if thread is None or thread is threading.current_thread():
        return
    thread.join(CLOSE_WAIT)
    if thread.is_alive():
        try:
            ws.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked recv
        except OSError:
            pass
        thread.join(CLOSE_WAIT)


def client_frame_problem(frame: str | bytes) -> tuple[int, str] | None:
    """Why a client frame ends the socket, or ``None`` for a frame that is ignored.

    Clients may send small JSON objects with a ``type`` (``{"type": "ping"}``); they
    are ignored. Anything else is a protocol error.
    """
    if isinstance(frame, bytes):
        return POLICY_VIOLATION, "Binary frames are not accepted."
    if len(frame.encode("utf-8")) > MAX_CLIENT_FRAME:
        return MESSAGE_TOO_BIG, f"Frames are limited to {MAX_CLIENT_FRAME} bytes."
    try:
        message = json.loads(frame)
    except ValueError:
        message = None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return POLICY_VIOLATION, 'Expected a JSON object with a "type".'
    return None


def _read_client_frames(ws, mailbox: Mailbox) -> None:  # type: ignore[no-untyped-def]
    try:
        while mailbox.closed is None:
            # A timeout, not a plain blocking receive: simple-websocket can mark the socket
            # closed (after its own 1009, say) without waking a waiting receive().
            frame = ws.receive(timeout=READ_POLL)
            if frame is None:
                if not ws.connected:
                    break
                continue
            problem = client_frame_problem(frame)
            if problem is not None:
                mailbox.close(*problem)
                return
    except ConnectionClosed:
        pass
    mailbox.close(1000, "")  # the client left, or simple-websocket closed the socket itself


def _release(_error: BaseException | None) -> None:
    """Unregister a subscriber whose upgrade never reached the view."""
    subscriber = g.pop("broadcasts_subscriber", None)
    if subscriber is not None:
        get_hub().unregister(subscriber)
