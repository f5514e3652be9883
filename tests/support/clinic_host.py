"""A second host, shaped unlike ``example_app``, integrated as docs/integration.rst says.

A clinic SaaS: UUID primary keys everywhere; its tenants are clinics, which patients reach
only through their location (``patients.location_id → clinic_locations.clinic_id``); the
recipients are ``patient`` bindings served as ``clinic-patients`` resources, with contact
columns of its own names; its communities are care groups (``care-groups``), whose members
are patients through an association table; staff act in a clinic by role, and a
receptionist is refused with a reason (:class:`~flask_broadcasts.AccessDenied`).

Worker subprocesses load it with ``FLASK_APP=tests.support.clinic_host:create_app``; their
configuration comes from the environment (``DATABASE_URL``, ``REDIS_URL``, ``MAIL_PORT``,
``CLINIC_CONFIG`` — a JSON object of extra config keys).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import relationship, selectinload

from example_app.config import configure_engine
from flask_broadcasts import AccessDenied, AudienceSource, Broadcasts, CommunitySource, RecipientMixin

db, migrate = SQLAlchemy(), Migrate()
broadcasts = Broadcasts(db=db)


def _uuid_column(**kwargs: Any) -> sa.Column:
    return sa.Column(sa.Uuid, primary_key=True, default=uuid.uuid4, **kwargs)


class Clinic(db.Model):
    __tablename__ = "clinics"
    id = _uuid_column()
    name = sa.Column(sa.String(100), nullable=False)


class Location(db.Model):
    __tablename__ = "clinic_locations"
    id = _uuid_column()
    clinic_id = sa.Column(sa.ForeignKey(Clinic.id), nullable=False, index=True)
    city = sa.Column(sa.String(100), nullable=False)


class Patient(RecipientMixin, db.Model):
    """A patient: a ``patient`` binding, reached by clinic through its location."""

    __tablename__ = "patients"
    broadcast_binding_type = "patient"
    broadcast_variables = ("given_name", "family_name", "city")

    id = _uuid_column()
    location_id = sa.Column(sa.ForeignKey(Location.id), nullable=False, index=True)
    given_name = sa.Column(sa.String(100), nullable=False)
    family_name = sa.Column(sa.String(100))
    email_address = sa.Column(sa.String(320))
    phone = sa.Column(sa.String(32))
    language = sa.Column(sa.String(35))

    location = relationship(Location)

    def get_variable_bindings(self) -> Mapping[str, Any]:
        return {"given_name": self.given_name, "family_name": self.family_name or "", "city": self.location.city}

    @property
    def broadcast_email(self) -> str | None:
        return self.email_address or None

    @property
    def broadcast_mobile(self) -> str | None:
        return self.phone or None

    @property
    def broadcast_locale(self) -> str | None:
        return self.language or None


care_group_members = sa.Table(
    "care_group_members",
    db.metadata,
    sa.Column("care_group_id", sa.ForeignKey("care_groups.id"), primary_key=True),
    sa.Column("patient_id", sa.ForeignKey(Patient.id), primary_key=True),
)


class CareGroup(db.Model):
    """A clinic's care group: the host's communities."""

    __tablename__ = "care_groups"
    id = _uuid_column()
    clinic_id = sa.Column(sa.ForeignKey(Clinic.id), nullable=False, index=True)
    name = sa.Column(sa.String(100), nullable=False)


class Staff(db.Model):
    __tablename__ = "staff"
    id = _uuid_column()
    name = sa.Column(sa.String(100), nullable=False)
    api_token = sa.Column(sa.String(64), unique=True, nullable=False)


class StaffRole(db.Model):
    """What a member of staff may do in a clinic: ``owner``, ``manager`` or ``receptionist``."""

    __tablename__ = "staff_roles"
    staff_id = sa.Column(sa.ForeignKey(Staff.id), primary_key=True)
    clinic_id = sa.Column(sa.ForeignKey(Clinic.id), primary_key=True)
    role = sa.Column(sa.String(20), nullable=False)


#: The roles that may send broadcasts.
BROADCASTING_ROLES = frozenset({"owner", "manager"})


def clinic_uuid(organization_id: str) -> uuid.UUID | None:
    """The clinic a ``?o=`` names: the raw string as the host's key, ``None`` when it is none."""
    try:
        return uuid.UUID(organization_id)
    except ValueError:
        return None


# -- the auth hooks -----------------------------------------------------------------------


@broadcasts.token_loader
def staff_for_token(token: str) -> Staff | None:
    return db.session.scalar(sa.select(Staff).where(Staff.api_token == token))


@broadcasts.organization_access
def may_broadcast(staff: Staff, organization_id: str) -> bool:
    clinic_id = clinic_uuid(organization_id)
    if clinic_id is None:
        return False
    role = db.session.get(StaffRole, (staff.id, clinic_id))
    if role is None:
        return False
    if role.role not in BROADCASTING_ROLES:
        raise AccessDenied("Receptionists may not send broadcasts.", code="role_forbidden")
    return True


# -- the audience source: the host's own patient filters ----------------------------------


class PatientFilterSchema(ma.Schema):
    """The filters of the host's patient list, and of ``patients`` audiences."""

    class Meta:
        unknown = ma.RAISE

    city = ma.fields.String()
    language = ma.fields.String()


def apply_patient_filters(select: sa.Select, filters: Mapping[str, Any], organization_id: str) -> sa.Select:
    """One clinic's patients (through their location) matching ``filters``, in a stable order."""
    clinic_id = clinic_uuid(organization_id)
    if clinic_id is None:
        return select.where(sa.false())
    select = select.join(Location, Patient.location_id == Location.id).where(Location.clinic_id == clinic_id)
    if filters.get("city"):
        select = select.where(Location.city == filters["city"])
    if filters.get("language"):
        select = select.where(Patient.language == filters["language"])
    return select.order_by(Patient.id)


def patient_resource(patient: Patient) -> dict[str, Any]:
    return {
        "type": "clinic-patients",
        "id": str(patient.id),
        "attributes": {"given_name": patient.given_name, "family_name": patient.family_name},
    }


broadcasts.add_audience_source(
    AudienceSource(
        audience_type="patients",
        model=Patient,
        resource_type="clinic-patients",
        serialize=patient_resource,
        apply_filters=apply_patient_filters,
        filter_schema=PatientFilterSchema,
        load_options=(selectinload(Patient.location),),  # get_variable_bindings reads the city
    )
)


# -- the community source: care groups ----------------------------------------------------


def get_care_group(community_id: str, organization_id: str) -> CareGroup | None:
    clinic_id, group_id = clinic_uuid(organization_id), clinic_uuid(community_id)
    if clinic_id is None or group_id is None:
        return None
    group = db.session.get(CareGroup, group_id)
    return group if group is not None and group.clinic_id == clinic_id else None


def care_group_patients(select: sa.Select, community_id: str, organization_id: str) -> sa.Select:
    clinic_id, group_id = clinic_uuid(organization_id), clinic_uuid(community_id)
    if clinic_id is None or group_id is None:
        return select.where(sa.false())
    return (
        select.join(care_group_members, care_group_members.c.patient_id == Patient.id)
        .join(Location, Patient.location_id == Location.id)
        .where(care_group_members.c.care_group_id == group_id, Location.clinic_id == clinic_id)
        .order_by(Patient.id)
    )


def care_group_resource(group: CareGroup) -> dict[str, Any]:
    return {"type": "care-groups", "id": str(group.id), "attributes": {"name": group.name}}


broadcasts.set_community_source(
    CommunitySource(
        model=CareGroup,
        get=get_care_group,
        members=care_group_patients,
        serialize=care_group_resource,
        resource_type="care-groups",
        member_source="patients",
    )
)


# -- the app ------------------------------------------------------------------------------


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The clinic product; ``config`` overrides what the environment says."""
    app = Flask("clinic_host")
    app.config.update(
        SECRET_KEY="clinic-test",
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL"),
        REDIS_URL=os.environ.get("REDIS_URL"),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
        MAIL_DEFAULT_SENDER=("Clinic News", "news@clinic.test"),
        # Every e-mail carries a one-click unsubscribe link built on it.
        BROADCASTS_PUBLIC_URL="https://clinic.example.test",
        # SMS at any hour: its tests are not about quiet hours (see tests/support/hostapp.py).
        BROADCASTS_SMS_DEFAULT_WINDOW=None,
    )
    app.config.update(json.loads(os.environ.get("CLINIC_CONFIG") or "{}"))
    app.config.update(config or {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # The test and its worker process share the file: wait for each other's writes.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    db.init_app(app)
    migrate.init_app(app, db)  # before broadcasts: it adds its migrations
    with app.app_context():
        configure_engine(db.engine)  # SQLite: WAL and a busy timeout
    broadcasts.init_app(app)
    return app
