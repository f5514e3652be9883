"""The app's extension objects, created once and bound to an app in :func:`example_app.create_app`."""

from __future__ import annotations

from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from flask_broadcasts import Broadcasts

# Named constraints: Alembic's batch mode (SQLite) can only alter constraints it can name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of the host's models (the extension keeps its own)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
broadcasts = Broadcasts(db=db)

__all__ = ["Base", "broadcasts", "db", "mail", "migrate"]
