"""Records: the write pipeline and what happens around a write.

``services`` (save, delete, restore, transfer, share, bulk actions: the one way a record is
written), ``batch`` (imports and API batches), ``bulk`` (chunked inserts and updates), ``audit``
(the change log), ``events`` (before-write rules, domain events), ``rollups`` (roll-up custom
fields following their children), ``stages`` (lifecycles: ``StagePath``, moves, the board),
``attachments`` (files of a record), ``sealing`` (sealed payloads), ``ordering`` (settings rows
put in the order people set).

May import: Django, ``lianke.org``, and core's lower layers — models, field kinds, search, object types,
fields, middleware, pagination, text, context, errors. Never ui, api or views.
"""
