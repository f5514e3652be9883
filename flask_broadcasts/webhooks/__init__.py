"""Signed outbound webhooks: an organization's ``broadcast-webhooks`` and their delivery log.

:mod:`.events` turns what happened into deliveries (and Flask signals), :mod:`.messages`
batches message events, :mod:`.delivery` makes the attempts (through the SSRF guard of
:mod:`flask_broadcasts.outbound`), :mod:`.signing` signs them (Standard Webhooks), and
:mod:`.service` is the CRUD the JSON:API resources call.
"""
