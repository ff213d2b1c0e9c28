"""The policy table: for every notice the portal sends, who is told, by which channels, and
whether a contact may turn it off. One place to read it; ``Notifier`` follows it, and a test
walks every notice and checks what was sent against it."""

from __future__ import annotations

import enum

import attrs

from ..i18n import N_


class Channel(enum.Enum):
    MAIL = "mail"
    TEXT = "text"


MAIL, TEXT = Channel.MAIL, Channel.TEXT


class Who(enum.Enum):
    """The recipients a notice names; ``Notifier`` resolves them from the notice's facts."""

    CONTACT = "the contact it is about"
    PAYER = "the contact who paid (unless the company turned payer receipts off and they did not opt in)"
    RECEIPT_SUBSCRIBERS = "contacts of the invoice who opted in to receipts (PAY-7)"
    ACCOUNT_OWNER = "the property's account owner (staff)"
    OPERATIONS_MANAGER = "the property's operations manager (staff)"
    SALES_REP = "the proposal's sales representative (staff, PRO-5)"
    INVITE_LIST = "the company's invitation notification list (INV-10)"
    JOB_LIST = "the job-notification list of the job's type (staff)"
    ADDRESS = "an address given with the notice (a new email, an unknown one)"


@attrs.frozen
class Rule:
    who: tuple[Who, ...]
    channels: tuple[Channel, ...] = (MAIL,)  # what a contact may choose from; staff and bare addresses get mail
    default: tuple[Channel, ...] = (MAIL,)  # what a contact who chose nothing gets
    optional: bool = False  # a contact may turn it off (security and account notices never)


POLICY: dict[str, Rule] = {
    # accounts: to the person, by mail, always
    "invitation": Rule((Who.CONTACT,)),
    "invitation_notice": Rule((Who.INVITE_LIST,)),
    "password_reset": Rule((Who.CONTACT,)),
    "password_reset_no_account": Rule((Who.ADDRESS,)),
    "login_link": Rule((Who.CONTACT,)),
    "email_change_confirm": Rule((Who.ADDRESS,)),
    "email_change_notice": Rule((Who.ADDRESS,)),
    "receipts_on": Rule((Who.CONTACT,)),
    # a second step at sign-in (issue 27): every change, and every recovery code used
    "factor_added": Rule((Who.CONTACT,)),
    "factor_removed": Rule((Who.CONTACT,)),
    "recovery_codes_new": Rule((Who.CONTACT,)),
    "recovery_code_used": Rule((Who.CONTACT,)),
    "phone_code": Rule((Who.CONTACT,), channels=(TEXT,), default=(TEXT,)),
    # money
    "payment_receipt": Rule((Who.PAYER, Who.RECEIPT_SUBSCRIBERS), channels=(MAIL, TEXT)),
    "payment_failed": Rule((Who.CONTACT,), channels=(MAIL, TEXT)),
    "payment_returned": Rule((Who.CONTACT, Who.ACCOUNT_OWNER), channels=(MAIL, TEXT)),
    "autopay_failed": Rule((Who.ACCOUNT_OWNER,)),
    # payment plans (issue 27): the offer, the copy of the authorisation and a missed instalment to
    # the contact, by mail always; the office hears of revocations and missed instalments
    "plan_offered": Rule((Who.CONTACT,)),
    "plan_accepted": Rule((Who.CONTACT,)),
    "plan_revoked": Rule((Who.ACCOUNT_OWNER,)),
    "plan_instalment_missed": Rule((Who.CONTACT,)),
    "plan_instalment_missed_staff": Rule((Who.ACCOUNT_OWNER,)),
    # proposals, issues, requests: the office hears
    "proposal_signed": Rule((Who.SALES_REP,)),
    "issue_created": Rule((Who.ACCOUNT_OWNER, Who.OPERATIONS_MANAGER)),
    "issue_comment": Rule((Who.ACCOUNT_OWNER, Who.OPERATIONS_MANAGER)),
    "quote_request": Rule((Who.ACCOUNT_OWNER,)),
    # jobs and visits (issue 26): the customer chooses mail, text, both or none
    "visit_scheduled": Rule((Who.CONTACT,), channels=(MAIL, TEXT), optional=True),
    "visit_changed": Rule((Who.CONTACT,), channels=(MAIL, TEXT), optional=True),
    "visit_on_the_way": Rule((Who.CONTACT,), channels=(MAIL, TEXT), default=(TEXT, MAIL), optional=True),
    "visit_completed": Rule((Who.CONTACT,), channels=(MAIL, TEXT), optional=True),
    "visit_request": Rule((Who.ACCOUNT_OWNER, Who.OPERATIONS_MANAGER)),
    "visit_rated": Rule((Who.ACCOUNT_OWNER, Who.OPERATIONS_MANAGER)),
    "job_requested": Rule((Who.JOB_LIST, Who.ACCOUNT_OWNER)),
}

# The notices a contact chooses channels for on their profile: those with a choice to make.
CONTACT_CHOICES: tuple[str, ...] = tuple(k for k, r in POLICY.items() if r.optional or len(r.channels) > 1)

# What a contact reads for each of those (translated where shown).
NOTICE_LABELS: dict[str, str] = {
    "payment_receipt": N_("A payment receipt"),
    "payment_failed": N_("A payment did not go through"),
    "payment_returned": N_("A payment was returned by the bank"),
    "visit_scheduled": N_("A visit is scheduled"),
    "visit_changed": N_("A visit is moved or canceled"),
    "visit_on_the_way": N_("The technician is on the way"),
    "visit_completed": N_("A visit is completed"),
}
