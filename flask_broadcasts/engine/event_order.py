"""Progress events leave a worker process in the order their rows were committed.

A send job's lanes (:mod:`.lanes`) are threads of one process. Each commits counter updates
or a status change and then publishes the row the database answered. Unordered, lane A can
commit "237 sent", lane B commit the run's completion and publish it, and A's older
"in-progress, 237" arrive last: a dashboard then shows a finished campaign as in progress
for good (a client only refuses to go backwards *within* one status). Holding one lock from
the statement that returns the row to its publish keeps commits and events in one order.

The lock is per process: workers on several machines were never ordered with each other,
and their last events race only as they always did (a client re-reads on reconnect).
"""

from __future__ import annotations

import threading

#: Held from the UPDATE … RETURNING whose row is published to the publish (re-entrant:
#: a counter flush may complete the run inside it).
commit_then_publish = threading.RLock()
