"""Demo data: the loader (``loader``) that fills an empty database through each app's
``demo.py``, with the shared helpers and names (``base``, ``names``).

May import: Django, ``lianke.org``, and core's lower layers (search, context). Business apps
import it (their ``demo.py``); it imports no business app.
"""
