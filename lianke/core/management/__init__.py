"""Core's management commands (``lianke <command>``): serve, worker, demo, reindex, customfield
indexes, purge of the recycle bin. The top of the application: may import any core layer.
"""
