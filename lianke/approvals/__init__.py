"""The approval engine (审批流): flows per object type, their steps and frozen versions, the
running approvals with their tasks, log, copies and out-of-office delegations.

Owns ``models`` (the tables), ``services`` (every action: submit, approve, reject, return,
resubmit, withdraw, comment, delegate, add an approver, copy, urge — one transaction each, under
a row lock on the approval, with history on the record, a log event and notifications),
``resolve`` (who approves a step), ``lock`` (the before-write rule that keeps a record under
approval unchanged), ``escalation`` (the scheduled job), ``api`` (``/api/approvals/``) and the
``submit`` record action. A platform app: it imports core, org and notifications, never a
business app; business apps declare their flows and call the services.
"""
