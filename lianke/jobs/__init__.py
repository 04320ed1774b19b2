"""Scheduled jobs, run: the schedules of the jobs apps declare (``core.schedules``) and those
administrators add in Settings, the runner that claims and runs each due period once (a run key
per schedule and period, a row lock per schedule, catch-up after downtime), the run log, the
``lianke jobs`` command and Settings › Scheduled jobs.

A platform app: it imports core and org, never a business app.
"""
