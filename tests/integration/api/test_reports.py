"""flask_broadcasts.api.reports: a campaign's report at ``/broadcast-campaign-reports/<id>`` and
``/broadcast-campaigns/<id>/report``.

A dashboard relies on both URLs answering the same read-only document (``id`` = the
campaign's), on a campaign of another organization or an unknown id being a 404, and on the
report being read-only (no write method). The figures themselves are
tests/integration/reports/test_report_figures.py."""

from __future__ import annotations

from tests.support.host_fixtures import make_campaign


def test_both_urls_answer_the_same_report(api):
    campaign = make_campaign(track_opens=True, track_clicks=False)
    first = api.get(f"/broadcast-campaign-reports/{campaign.id}")
    second = api.get(f"/broadcast-campaigns/{campaign.id}/report")
    assert first.status_code == second.status_code == 200, first.get_json()
    one, two = first.get_json()["data"], second.get_json()["data"]
    assert (one["type"], one["id"]) == (two["type"], two["id"]) == ("broadcast-campaign-reports", str(campaign.id))
    # generated_at is when each was computed; everything else is the same.
    one["attributes"].pop("generated_at"), two["attributes"].pop("generated_at")
    assert one["attributes"] == two["attributes"]
    attributes = one["attributes"]
    assert attributes["campaign_id"] == campaign.id and attributes["status"] == campaign.status
    assert (attributes["track_opens"], attributes["track_clicks"], attributes["opens_are_estimate"]) == (
        True,
        False,
        True,
    )
    assert set(attributes["channels"]) == {"mail", "sms"} and attributes["runs"] == []


def test_another_organization_s_campaign_or_an_unknown_one_is_a_404(api, api_b):
    campaign = make_campaign()
    for path in (f"/broadcast-campaign-reports/{campaign.id}", f"/broadcast-campaigns/{campaign.id}/report"):
        assert api_b.get(path).status_code == 404
    assert api.get("/broadcast-campaign-reports/999999").status_code == 404
    assert api.get("/broadcast-campaigns/not-a-number/report").status_code == 404


def test_a_report_cannot_be_written(api):
    campaign = make_campaign()
    document = {"data": {"type": "broadcast-campaign-reports", "id": str(campaign.id), "attributes": {}}}
    assert api.patch(f"/broadcast-campaign-reports/{campaign.id}", document).status_code == 405
    assert api.delete(f"/broadcast-campaigns/{campaign.id}/report").status_code == 405
