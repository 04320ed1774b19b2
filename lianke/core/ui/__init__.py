"""What people see of the records, independent of the HTTP layer: ``forms`` (a type's form,
``form_for``; bulk edit values), ``filtersets`` (a type's FilterSet, ``filterset_for``, shared by
list pages and the API), ``display`` (a value as text and link, custom cells), ``history`` (a
record's changes as read on its page and through the API), ``exports`` (a list as a file),
``liststate`` (a list page's state in its URL), ``home`` (the home page's widgets), ``panels``
(what platform apps add to a record's page).

May import: Django, ``lianke.org``, and core's lower layers — records, models, field kinds,
search, object types, fields, pagination, text, context, errors. Never api, views or urls (which use it).
"""
