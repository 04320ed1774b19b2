"""The settings console (设置): the pages administrators use weekly, in the product rather than in
Django's admin — the organisation (departments, users), roles (object types × actions with a data
scope each), custom fields per object type — and the console's home, a declarative list of every
settings page (``console.pages``) that other apps add their own entries to.

Every write goes through one service (``console.services``) that checks the settings object's
config kind (``org.access``), validates with the model's own rules, and records the change as
configuration history (``core.records.audit.config_snapshot``). Django's admin stays for
superusers as the "Advanced" fallback. A platform app: it imports core and org, never a
business app (their settings pages register themselves, or are named by URL name only).
"""
