"""Services: plain functions over the models, the host contract and the adapters.

They take an organization id and values, never ``flask.request``, and know nothing of
RQ (work is handed to a ``Dispatcher``); they raise :mod:`flask_broadcasts.errors`
exceptions whose ``pointer`` names the JSON:API member at fault, and the HTTP layer
only translates.
"""
