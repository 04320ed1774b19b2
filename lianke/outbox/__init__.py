"""The transactional outbox and its first consumer, webhooks.

Owns ``OutboxMessage`` (what must leave the process, written in the same transaction as the
change it announces, by durable event subscribers), its delivery (``delivery.deliver_due``: claim
safely, send through the consumer's sender, retry with backoff, dead letters, one aggregate's
messages in order), the consumer registry, ``Webhook`` (an administrator's subscription of a URL
to an object type's events, its secret sealed at rest), the ``lianke outbox`` command and the
settings page of webhooks and deliveries. Outgoing URLs pass ``core.outgoing``'s guard.
"""
