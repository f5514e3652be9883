"""The CRUD services: templates, audiences, campaigns, files and messages, as plain functions.

They take an organization id and values, never ``flask.request``, and know nothing of
RQ (the engine hands work to a ``Dispatcher``); they raise :mod:`flask_broadcasts.errors`
exceptions whose ``pointer`` names the JSON:API member at fault, and the HTTP layer
only translates.
"""
