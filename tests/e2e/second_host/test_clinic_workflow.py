"""The spec's whole workflow over HTTP on a second host, shaped unlike the example app
(tests/support/clinic_host.py: UUID keys, ``patient`` bindings served as ``clinic-patients``,
clinics reached through a join, care groups as communities, role-based access), with a real
worker process and a real SMTP server, on SQLite and PostgreSQL.

One worker, one SMTP server and one database for the module; each test uses clinics and
campaigns of its own."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import clinic_host
from tests.support.clinic_host import CareGroup, Clinic, Location, Patient, Staff, StaffRole, care_group_members, db
from tests.support.database import build_extension_schema, migrated_database
from tests.support.processes import start_worker, stop_process
from tests.support.smtp import SmtpServer

JSONAPI = "application/vnd.api+json"
CLINIC_APP = "tests.support.clinic_host:create_app"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clinic_env(tmp_path_factory: pytest.TempPathFactory, redis_url: str, smtp_server: SmtpServer) -> Iterator[dict]:
    directory = tmp_path_factory.mktemp("clinic")
    build = lambda url: build_extension_schema(url, db.metadata)  # noqa: E731
    with migrated_database("clinic", directory, build) as database:
        # A queue of its own: another run's workers on the same Redis never take these jobs.
        config = {"BROADCASTS_QUEUE": f"clinic-{uuid.uuid4().hex[:10]}", "BROADCASTS_BATCH_SIZE": 10}
        yield {
            "DATABASE_URL": database.url,
            "REDIS_URL": redis_url,
            "MAIL_PORT": str(smtp_server.port),
            "CLINIC_CONFIG": json.dumps(config),
        }


@pytest.fixture(scope="module")
def clinic_app(clinic_env: dict) -> Iterator[Flask]:
    app = clinic_host.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": clinic_env["DATABASE_URL"],
            "REDIS_URL": clinic_env["REDIS_URL"],
            "MAIL_PORT": int(clinic_env["MAIL_PORT"]),
            **json.loads(clinic_env["CLINIC_CONFIG"]),
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def worker(clinic_env: dict, clinic_app: Flask) -> Iterator[None]:
    proc = start_worker(clinic_env, burst=False, app=CLINIC_APP)
    yield
    # Idle by now: a warm shutdown has nothing to finish, so it is not waited for long.
    output = stop_process(proc, timeout=3)
    assert "Traceback" not in output, output


@pytest.fixture
def client(clinic_app: Flask) -> FlaskClient:
    # No app context held across requests: each request ends its session, as in production
    # (held, SQLite would keep serving this process the snapshot it read before the worker wrote).
    return clinic_app.test_client()


@dataclass(frozen=True)
class Person:
    id: str
    given_name: str
    email: str | None


class Clinics:
    """Two clinics of this test: patients in two cities, a care group, staff by role."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        self.clinic, self.other = Clinic(id=uuid.uuid4(), name="Rive"), Clinic(id=uuid.uuid4(), name="Other")
        lyon = Location(id=uuid.uuid4(), clinic_id=self.clinic.id, city="Lyon")
        nice = Location(id=uuid.uuid4(), clinic_id=self.clinic.id, city="Nice")
        elsewhere = Location(id=uuid.uuid4(), clinic_id=self.other.id, city="Lyon")
        self.lyon = [
            Patient(
                id=uuid.uuid4(), location_id=lyon.id, given_name=f"Lea{i}", email_address=f"lea{i}-{tag}@clinic.test"
            )
            for i in range(6)
        ]
        self.no_email = no_email = Patient(
            id=uuid.uuid4(), location_id=lyon.id, given_name="Nomail", email_address=None
        )
        self.nice = [
            Patient(
                id=uuid.uuid4(), location_id=nice.id, given_name=f"Noe{i}", email_address=f"noe{i}-{tag}@clinic.test"
            )
            for i in range(3)
        ]
        stranger = Patient(
            id=uuid.uuid4(), location_id=elsewhere.id, given_name="Out", email_address=f"out-{tag}@x.test"
        )
        self.group = CareGroup(id=uuid.uuid4(), clinic_id=self.clinic.id, name="Diabetes")
        self.foreign_group = CareGroup(id=uuid.uuid4(), clinic_id=self.other.id, name="Theirs")
        staff = {
            role: Staff(id=uuid.uuid4(), name=role, api_token=f"{role}-{tag}") for role in ("manager", "desk", "rival")
        }
        # No relationships between these models: each layer is flushed before the next refers to it.
        for layer in (
            [self.clinic, self.other, *staff.values()],
            [lyon, nice, elsewhere, self.group, self.foreign_group],
            [*self.lyon, no_email, *self.nice, stranger],
        ):
            db.session.add_all(layer)
            db.session.flush()
        db.session.add_all(
            [
                StaffRole(staff_id=staff["manager"].id, clinic_id=self.clinic.id, role="manager"),
                StaffRole(staff_id=staff["desk"].id, clinic_id=self.clinic.id, role="receptionist"),
                StaffRole(staff_id=staff["rival"].id, clinic_id=self.other.id, role="owner"),
            ]
        )
        members = [self.lyon[0], self.nice[0], stranger]  # the stranger: in the group, not in the clinic
        db.session.execute(
            care_group_members.insert(), [{"care_group_id": self.group.id, "patient_id": p.id} for p in members]
        )
        db.session.commit()
        # Plain values: the rows are gone with the seeding's session.
        self.tokens = {role: member.api_token for role, member in staff.items()}
        self.clinic_id, self.other_id = str(self.clinic.id), str(self.other.id)
        self.group_id, self.foreign_group_id = str(self.group.id), str(self.foreign_group.id)
        person = lambda p: Person(str(p.id), p.given_name, p.email_address)  # noqa: E731
        self.lyon, self.nice, self.no_email = (
            [person(p) for p in self.lyon],
            [person(p) for p in self.nice],
            person(no_email),
        )

    @staticmethod
    def addresses(patients: list[Person]) -> list[str]:
        return sorted(p.email for p in patients if p.email)


@pytest.fixture
def clinics(clinic_app: Flask) -> Iterator[Clinics]:
    with clinic_app.app_context():
        seeded = Clinics()
        db.session.remove()
    yield seeded


def call(
    client: FlaskClient, method: str, path: str, token: str, clinic_id: str, data: dict | None = None, **params: str
) -> Any:
    return client.open(
        f"/api/{path}",
        method=method,
        query_string={"o": clinic_id, **params},
        headers={"Authorization": f"Bearer {token}", "Content-Type": JSONAPI},
        json={"data": data} if data is not None else None,
    )


def created(response: Any) -> dict:
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def wait_for_status(client: FlaskClient, clinics: Clinics, campaign_id: str, status: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        attributes = call(
            client, "GET", f"broadcast-campaigns/{campaign_id}", clinics.tokens["manager"], clinics.clinic_id
        )
        attributes = attributes.get_json()["data"]["attributes"]
        if attributes["status"] == status or time.monotonic() > deadline:
            assert attributes["status"] == status, attributes
            return attributes
        time.sleep(0.1)


def new_campaign(client: FlaskClient, clinics: Clinics, audience: dict) -> str:
    manager, clinic = clinics.tokens["manager"], clinics.clinic_id
    template = created(
        call(
            client,
            "POST",
            "broadcast-templates",
            manager,
            clinic,
            {
                "type": "broadcast-templates",
                "attributes": {
                    "name": f"Flu shots {clinics.tag}",
                    "subject": "Flu shots in {city}, {given_name}",
                    "body": "<p>Dear {given_name}, our {city} practice has flu shots.</p>",
                    "channels": ["mail"],
                },
            },
        )
    )
    # Naming no binding type, it gets the host's own (it offers no ``customer``).
    assert template["attributes"]["binding_type"] == "patient"
    audience = created(call(client, "POST", "broadcast-audiences", manager, clinic, audience))
    campaign = created(
        call(
            client,
            "POST",
            "broadcast-campaigns",
            manager,
            clinic,
            {
                "type": "broadcast-campaigns",
                "attributes": {"name": f"Flu {clinics.tag}"},
                "relationships": {
                    "template": {"data": {"type": "broadcast-templates", "id": template["id"]}},
                    "audience": {"data": {"type": "broadcast-audiences", "id": audience["id"]}},
                },
            },
        )
    )
    return campaign["id"]


def sent_to(smtp_server: SmtpServer, clinics: Clinics) -> list[str]:
    return sorted(r for r in smtp_server.recipients() if clinics.tag in r)


def test_access_is_by_role_and_by_clinic(client: FlaskClient, clinics: Clinics) -> None:
    path = "broadcast-templates"
    assert call(client, "GET", path, clinics.tokens["manager"], clinics.clinic_id).status_code == 200
    refused = call(client, "GET", path, clinics.tokens["desk"], clinics.clinic_id)
    assert refused.status_code == 403
    (error,) = refused.get_json()["errors"]
    assert (error["code"], error["detail"]) == ("role_forbidden", "Receptionists may not send broadcasts.")
    # Staff of another clinic: not a member here, the default answer.
    stranger = call(client, "GET", path, clinics.tokens["rival"], clinics.clinic_id)
    assert stranger.status_code == 403
    assert stranger.get_json()["errors"][0]["detail"] == "You are not a member of this organization."
    assert call(client, "GET", path, "no-such-token", clinics.clinic_id).status_code == 401


def test_patients_audience_preview_start_and_messages(
    client: FlaskClient, clinics: Clinics, smtp_server: SmtpServer, worker: None
) -> None:
    manager, clinic = clinics.tokens["manager"], clinics.clinic_id
    # The host's binding type and variables check templates before any patient is read.
    unknown = call(
        client,
        "POST",
        "broadcast-templates",
        manager,
        clinic,
        {
            "type": "broadcast-templates",
            "attributes": {
                "name": "x",
                "binding_type": "patient",
                "subject": "Hi {first_name}",
                "body": "<p>Hi</p>",
                "channels": ["mail"],
            },
        },
    )
    assert unknown.status_code == 422, unknown.get_json()
    assert "given_name" in unknown.get_json()["errors"][0]["detail"]
    # The host's filter schema checks the audience's filters.
    bad_filter = call(
        client,
        "POST",
        "broadcast-audiences",
        manager,
        clinic,
        {
            "type": "broadcast-audiences",
            "attributes": {"name": "x", "audience_type": "patients", "filters": {"ward": 3}},
        },
    )
    assert bad_filter.status_code == 422
    assert bad_filter.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/filters/ward"

    lyon = {
        "type": "broadcast-audiences",
        "attributes": {"name": "Lyon", "audience_type": "patients", "filters": {"city": "Lyon"}},
    }
    cid = new_campaign(client, clinics, lyon)

    preview = call(
        client,
        "GET",
        f"broadcast-campaigns/{cid}/draft-messages",
        manager,
        clinic,
        include="recipient",
        with_counts="true",
    ).get_json()
    assert preview["meta"]["recipient_count"] == 7 and preview["meta"]["no_channel_count"] == 1
    first = clinics.lyon[0]
    draft = next(d for d in preview["data"] if d["relationships"]["recipient"]["data"]["id"] == first.id)
    assert draft["attributes"]["subject"] == f"Flu shots in Lyon, {first.given_name}"
    assert draft["relationships"]["recipient"]["data"]["type"] == "clinic-patients"
    assert {r["type"] for r in preview["included"]} == {"clinic-patients"}

    # Staff of the other clinic see nothing of it, not even that it exists.
    assert (
        call(client, "GET", f"broadcast-campaigns/{cid}", clinics.tokens["rival"], clinics.other_id).status_code == 404
    )
    assert (
        call(client, "POST", f"broadcast-campaigns/{cid}/start", clinics.tokens["rival"], clinics.other_id).status_code
        == 404
    )

    started = call(client, "POST", f"broadcast-campaigns/{cid}/start", manager, clinic)
    assert started.status_code == 200, started.get_json()
    done = wait_for_status(client, clinics, cid, "completed")
    assert (done["sent_count"], done["failed_count"], done["total_count"]) == (6, 1, 7)
    assert sent_to(smtp_server, clinics) == clinics.addresses(clinics.lyon)
    mail = next(m.message for m in smtp_server.received if first.email in m.rcpt_tos)
    assert mail["Subject"] == f"Flu shots in Lyon, {first.given_name}"

    messages = call(
        client, "GET", f"broadcast-campaigns/{cid}/messages", manager, clinic, include="recipient,customer"
    ).get_json()
    by_recipient = {m["relationships"]["recipient"]["data"]["id"]: m for m in messages["data"]}
    assert set(by_recipient) == {p.id for p in (*clinics.lyon, clinics.no_email)}
    assert by_recipient[first.id]["attributes"]["email"] == first.email
    assert by_recipient[first.id]["relationships"]["customer"]["data"] == {
        "type": "clinic-patients",
        "id": first.id,
    }
    included = {(r["type"], r["id"]) for r in messages["included"]}
    assert ("clinic-patients", first.id) in included
    failed = [m for m in messages["data"] if m["attributes"]["status"] == "failed"]
    assert [m["attributes"]["error_code"] for m in failed] == ["no_channel"]


def test_care_group_audience_reaches_its_members_in_this_clinic(
    client: FlaskClient, clinics: Clinics, smtp_server: SmtpServer, worker: None
) -> None:
    manager, clinic = clinics.tokens["manager"], clinics.clinic_id

    def care_group_audience(group_id: str) -> dict:
        return {
            "type": "broadcast-audiences",
            "attributes": {"name": "Group", "audience_type": "community"},
            "relationships": {"community": {"data": {"type": "care-groups", "id": group_id}}},
        }

    # Another clinic's care group is as unknown as one that does not exist.
    foreign = call(
        client, "POST", "broadcast-audiences", manager, clinic, care_group_audience(clinics.foreign_group_id)
    )
    assert foreign.status_code in (404, 422), foreign.get_json()

    cid = new_campaign(client, clinics, care_group_audience(clinics.group_id))
    audience_id = call(client, "GET", f"broadcast-campaigns/{cid}", manager, clinic).get_json()["data"]
    audience_id = audience_id["relationships"]["audience"]["data"]["id"]
    audience = call(
        client, "GET", f"broadcast-audiences/{audience_id}", manager, clinic, include="community"
    ).get_json()
    assert audience["data"]["relationships"]["community"]["data"] == {"type": "care-groups", "id": clinics.group_id}
    assert audience["included"][0]["attributes"] == {"name": "Diabetes"}

    assert call(client, "POST", f"broadcast-campaigns/{cid}/start", manager, clinic).status_code == 200
    done = wait_for_status(client, clinics, cid, "completed")
    assert (done["sent_count"], done["failed_count"]) == (2, 0)
    assert sent_to(smtp_server, clinics) == clinics.addresses([clinics.lyon[0], clinics.nice[0]])
