"""All of RQ: the queue and job ids (``queues``), the job functions (``jobs``), the worker
class (``worker``), rq-scheduler's loop (``scheduler``) and fire timers (``timers``), and
the one way a worker process finds the app (``context``). Jobs only forward to the engine.
"""
