"""Rows read in the app's own session and detached from it, so a test can look at them after
the app context ends (the provider stand-in suites of SMS and e-mail feedback share them)."""

from __future__ import annotations

from flask import Flask

from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage


def message_row(app: Flask, message_id: int) -> BroadcastMessage:
    from flask_broadcasts import get_state

    with app.app_context():
        session = get_state().session
        message = session.get(BroadcastMessage, message_id)
        session.expunge(message)
        return message


def campaign_row(app: Flask, campaign_id: int) -> BroadcastCampaign:
    from flask_broadcasts import get_state

    with app.app_context():
        session = get_state().session
        campaign = session.get(BroadcastCampaign, campaign_id)
        session.expunge(campaign)
        return campaign
