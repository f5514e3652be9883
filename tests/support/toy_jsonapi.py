"""A toy host app and a toy resource to exercise the JSON:API core.

Articles have a to-one ``author`` (people), people a to-one ``team``, so
``include=author.team`` is a dotted path. ``reviewer`` is an external include
standing for a host's ``customers`` resource. People use cursor pagination,
articles offset pagination.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import flask_smorest
import marshmallow as ma
import sqlalchemy as sa
from flask import Flask
from flask.views import MethodView
from flask_sqlalchemy import SQLAlchemy
from marshmallow_jsonapi import fields

from flask_broadcasts.errors import InvalidInputError, NotFoundError
from flask_broadcasts.jsonapi import (
    CollectionQuery,
    CollectionSpec,
    JsonApiBlueprint,
    Payload,
    ResourceQuery,
    ResourceSchema,
    ResourceSpec,
    ScopedApi,
    no_content,
    paginate,
    render_page,
    render_resource,
)

db = SQLAlchemy()
EPOCH = dt.datetime(2026, 1, 1, 9, 0, 0)


class Team(db.Model):
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(50), nullable=False)


class Person(db.Model):
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(50), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=EPOCH)
    team_id = sa.Column(sa.ForeignKey(Team.id))
    team = db.relationship(Team)


class Article(db.Model):
    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(50), nullable=False)
    body = sa.Column(sa.Text)
    views = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(sa.DateTime, nullable=False, default=EPOCH)
    author_id = sa.Column(sa.ForeignKey(Person.id))
    author = db.relationship(Person)


class TeamSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    name = fields.Str(required=True)

    class Meta:
        type_ = "teams"


class PersonSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    name = fields.Str(required=True)
    created_at = fields.DateTime(dump_only=True)
    team = fields.Relationship(type_="teams", schema="TeamSchema", include_resource_linkage=True)

    class Meta:
        type_ = "people"


class ArticleSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    title = fields.Str(required=True, validate=ma.validate.Length(min=1, max=50))
    body = fields.Str()
    views = fields.Int(validate=ma.validate.Range(min=0))
    created_at = fields.DateTime(dump_only=True)
    author = fields.Relationship(type_="people", schema="PersonSchema", include_resource_linkage=True)

    class Meta:
        type_ = "articles"


class ArticleFilterSchema(ma.Schema):
    search = ma.fields.Str()
    min_views = ma.fields.Int(validate=ma.validate.Range(min=0))


def host_customers(articles: Any) -> dict[str, Any]:
    """Stands for a host function serializing its own ``customers`` resource."""
    customer = {"type": "customers", "id": "c1", "attributes": {"name": "Ada", "email": "a@x"}}
    return {str(a.id): customer for a in articles}


ARTICLE = ResourceSpec(
    schema=ArticleSchema, includes={"author.team", "reviewer"}, external_includes={"reviewer": host_customers}
)
ARTICLES = CollectionSpec(
    schema=ArticleSchema,
    includes={"author.team", "reviewer"},
    external_includes={"reviewer": host_customers},
    sorts={"title": Article.title, "views": Article.views, "created_at": Article.created_at},
    default_sort="created_at",
    filters=ArticleFilterSchema,
    pagination="offset",
    page_size=10,
    max_page_size=50,
)
PEOPLE = CollectionSpec(
    schema=PersonSchema,
    includes={"team"},
    sorts={"name": Person.name, "created_at": Person.created_at},
    pagination="cursor",
    page_size=10,
    max_page_size=50,
)

blp = JsonApiBlueprint("toy", __name__, url_prefix="/api", description="Toy resources")


@blp.route("/articles")
class Articles(MethodView):
    @blp.jsonapi_collection(ARTICLES)
    def get(self, query: CollectionQuery) -> Any:
        """List articles"""
        select = sa.select(Article)
        if "search" in query.filters:
            select = select.where(Article.title.contains(query.filters["search"]))
        if "min_views" in query.filters:
            select = select.where(Article.views >= query.filters["min_views"])
        return render_page(paginate(db.session, select, query), query, meta={"generated": True})

    @blp.jsonapi_create(ArticleSchema)
    def post(self, payload: Payload) -> Any:
        """Create an article"""
        if payload.attributes.get("title") == "taken":
            raise InvalidInputError.many(
                [
                    InvalidInputError("Title taken.", pointer="/data/attributes/title", code="taken"),
                    InvalidInputError("Views too low.", pointer="/data/attributes/views"),
                ]
            )
        article = Article(**payload.attributes, author_id=payload.relationships.get("author"))
        db.session.add(article)
        db.session.commit()
        return render_resource(
            article, ArticleSchema, status=201, meta={"echo": payload.meta} if payload.meta else None
        )


def _article(article_id: int) -> Article:
    article = db.session.get(Article, article_id)
    if article is None:
        raise NotFoundError(f"No article {article_id}.", code="article_not_found")
    return article


@blp.route("/articles/<int:id>")
class ArticleItem(MethodView):
    @blp.jsonapi_resource(ARTICLE)
    def get(self, query: ResourceQuery, id: int) -> Any:
        """Fetch an article"""
        return render_resource(_article(id), query, resource_meta=lambda a: {"words": len((a.body or "").split())})

    @blp.jsonapi_update(ArticleSchema)
    def patch(self, payload: Payload, id: int) -> Any:
        """Update an article"""
        article = _article(id)
        for name, value in payload.attributes.items():
            setattr(article, name, value)
        if "author" in payload.relationships:
            article.author_id = payload.relationships["author"]
        db.session.commit()
        return render_resource(article, ArticleSchema)

    @blp.jsonapi_delete(ArticleSchema)
    def delete(self, id: int) -> Any:
        """Delete an article"""
        db.session.delete(_article(id))
        db.session.commit()
        return no_content()


@blp.route("/people")
class People(MethodView):
    @blp.jsonapi_collection(PEOPLE)
    def get(self, query: CollectionQuery) -> Any:
        """List people"""
        return render_page(paginate(db.session, sa.select(Person), query), query)


@blp.route("/raw-load", methods=["POST"])
def raw_load() -> Any:
    """A view loading with marshmallow-jsonapi itself, outside our decorators."""
    from flask import request

    ArticleSchema().load(request.get_json())
    return no_content()


@blp.route("/boom")
def boom() -> Any:
    raise RuntimeError("secret: password=hunter2 at /srv/app.py line 3")


host_blp = flask_smorest.Blueprint("hostapi", __name__, url_prefix="/host-api")


@host_blp.route("/ping")
@host_blp.response(200)
def ping() -> Any:
    return {"pong": True}


def create_app(**config: Any) -> Flask:
    """Host app: its own HTML 404, its own flask-smorest Api, and our ScopedApi."""
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        API_TITLE="Host API",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/host-docs",
        BROADCASTS_API_TITLE="Broadcasts",
        BROADCASTS_API_VERSION="1",
        BROADCASTS_OPENAPI_VERSION="3.1.0",
        BROADCASTS_OPENAPI_URL_PREFIX="/broadcasts-docs",
        **config,
    )

    @app.errorhandler(404)
    def host_not_found(error: Exception) -> Any:
        return "<h1>Host page not found</h1>", 404, {"Content-Type": "text/html"}

    @app.route("/host/page")
    def host_page() -> Any:
        return "<p>host</p>"

    db.init_app(app)
    host_api = flask_smorest.Api(app)
    host_api.register_blueprint(host_blp)
    api = ScopedApi(app, config_prefix="BROADCASTS_")
    api.register_blueprint(blp)
    app.extensions["toy_api"] = api
    with app.app_context():
        db.create_all()
    return app
