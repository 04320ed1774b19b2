"""Search over the declared types: ``textsearch`` (what a search text becomes, planned so an index
serves it: contained text, prefixes, company keys, phone digits, pinyin; ``search(object_type,
queryset, text)``), ``fts`` (SQLite's FTS5 trigram tables and their upkeep) and ``duplicates``
(``find_duplicates``: the records that may be the same company or person).

May import: Django, ``lianke.org``, and core's lower layers — object types, fields, pagination, text,
context, errors. Never field kinds, models, records, ui, api or views: a custom field definition
is read through its own methods (``searched_as_text``).
"""
