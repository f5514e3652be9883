"""The campaign engine: everything a campaign id walks through once it is started.

``lifecycle`` (start, stop) → ``runs`` (every status move and counter, a run opened) →
``materialize`` (the audience rendered into ``pending`` messages, through ``recipients``,
the code path the ``preview`` shares) → ``claims`` and ``sending`` (batches handed to the
channels, each outcome recorded by ``outcomes`` before the next hand-over) →
``completion``; ``schedule`` fires scheduled and recurring runs, ``recovery`` finishes
what dead workers left, ``delivery_status`` applies providers' later reports. Work is
handed to the background through the ``dispatch`` and ``timers`` protocols; nothing here
imports RQ or the HTTP layer (import-linter checks it).
"""
