"""The HTML pages: a type's generated pages (``objects``: list, detail, create, edit, board in
``stages``), the shared ones (``misc``: home, search, pickers, saved views, attachments) and the
static assets (``assets``).

May import: Django, ``lianke.org`` and every core layer below it (ui, records, models, field
kinds, search, object types …). Only ``core.urls`` imports it.
"""
