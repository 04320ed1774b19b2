"""The notification centre (通知中心): one ``Notification`` model and one service.

Owns the notification types the apps declare (``types.declare``: a key, a label, the title
template, the default channels), ``service.notify`` (what producers call, inside the write's
transaction, so a notification exists if and only if its change committed), the users'
preferences per type and channel, the channels (in-app, e-mail, and the interface the WeCom
integration implements, delivered through the outbox), the bell and the list, and the API
(``/api/notifications/``). The generic producers ("assigned to you", "transferred to you") are
here; the others are handlers of domain events in the apps that own them.
A platform app: it imports core, org and the outbox, never a business app.
"""
