"""Pools (公海): shared holding areas of unowned records — leads and accounts — with members who
may see (and later claim) them and administrators who manage them (M4, C3). This app owns the
pool itself; the pool engine (claiming, assignment, recycling rules) comes with the pools issue.
The access rule for pooled records is the ``Pooled`` kind (``org.kinds``)."""
