"""Notices: what the portal tells people, and how (issue 22).

Services record what happened and call ``Notifier.tell(kind, ...)``; the policy table
(``POLICY``) decides who is told (``Who``) and by which channels (``Channel``: mail, text
message), honouring each contact's choices (``Contact.notices``), language, verified mobile
number, STOP and quiet hours. Mail goes through the ``Mailer`` port, text messages through the
``TextMessenger`` port (the ``portalkit_text_messenger`` hook); both through the outbox.
"""

from ._notifier import Address, Notifier
from ._policy import CONTACT_CHOICES, NOTICE_LABELS, POLICY, Channel, Rule, Who
from ._texts import TextTemplates

__all__ = [
    "CONTACT_CHOICES",
    "NOTICE_LABELS",
    "POLICY",
    "Address",
    "Channel",
    "Notifier",
    "Rule",
    "TextTemplates",
    "Who",
]
