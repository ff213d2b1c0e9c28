"""Notices: what the portal tells people, and how (issue 22).

Services record what happened and call ``Notifier.tell(kind, ...)``; the policy table
(``POLICY``) decides who is told (``Who``) and by which channels (``Channel``: mail, text
message), honouring each contact's choices (``Contact.notices``), language, verified mobile
number, STOP and quiet hours. Mail goes through the ``Mailer`` port, text messages through the
``TextMessenger`` port (the ``portalkit_text_messenger`` hook); both through the outbox
(``Outbox``: written in the caller's unit of work, delivered after it commits, retried). Mail is
rendered from the package's templates or a host's (``MailTemplates``).
"""

from ._mails import MAIL_NAMES, MailTemplates
from ._notifier import Address, Notifier
from ._outbox import BATCH, CLAIM_LEASE, DEAD, MAX_ATTEMPTS, PENDING, SENDING, SENT, STATUSES, Outbox
from ._policy import CONTACT_CHOICES, NOTICE_LABELS, POLICY, Channel, Rule, Who
from ._texts import TextTemplates

__all__ = [
    "BATCH",
    "CLAIM_LEASE",
    "CONTACT_CHOICES",
    "DEAD",
    "MAIL_NAMES",
    "MAX_ATTEMPTS",
    "PENDING",
    "SENDING",
    "SENT",
    "STATUSES",
    "NOTICE_LABELS",
    "POLICY",
    "Address",
    "Channel",
    "MailTemplates",
    "Notifier",
    "Outbox",
    "Rule",
    "TextTemplates",
    "Who",
]
