"""Issues: create with priority and attachments, comments public or internal (ISS-1..5).

open --staff closes--> closed --staff reopens--> open
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Iterable
from typing import Any

import attrs

from .. import inputs
from .._core.files import Files, Upload
from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.permissions import require
from .._core.retry import retry_on_conflict
from .._core.uow import UnitOfWork
from .._core.visibility import Section, Visibility
from ..directory._directory import lookup
from ..errors import InvalidTransition, NotFound, ValidationError
from ..events import IssueCommented, IssueCreated, external_ids
from ..i18n import N_, _
from ..labels import label
from ..models import (
    Attachment,
    Comment,
    Contact,
    Counter,
    Issue,
    IssueStatus,
    Permission,
    Priority,
    Property,
    StaffUser,
    new_id,
)
from ..notify import Notifier
from ..notify._outbox import Outbox
from ..ports import Clock, Storage
from ..settings import Settings

MAX_SUBJECT = 200


@attrs.frozen
class StaffIssue:
    """An issue as the staff's work list shows it, with its property (``None`` once gone)."""

    issue: Issue
    property: Property | None


class IssueFilter(enum.Enum):
    OPEN = N_("Open")
    CLOSED = N_("Closed")


class Issues:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        visibility: Visibility,
        outbox: Outbox,
        notifier: Notifier,
        files: Files,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._outbox, self._notifier, self._files = visibility, outbox, notifier, files

    def _next_number(self) -> int:
        storage, key = self._storage, f"{self._settings.current.company_id}:issue"
        counter = storage.get(Counter, key) or storage.insert(Counter(id=key))
        return storage.update(attrs.evolve(counter, value=counter.value + 1)).value

    def _room(self, issue: Issue | None = None) -> int:
        """What the per-issue quota leaves for more files."""
        return self._settings.current.max_issue_upload_bytes - (issue.attachment_bytes if issue else 0)

    # -- customer --------------------------------------------------------------------------
    def create(
        self,
        contact: Contact,
        property_id: str,
        subject: str,
        *,
        priority: Priority = Priority.MEDIUM,
        notes: str = "",
        attachments: Iterable[Upload] = (),
    ) -> Issue:
        """ISS-2, ISS-3: open an issue on the current property; staff are mailed."""
        self._visibility.require_section(contact, Section.ISSUES)
        subject = inputs.text(subject, "subject", max_length=MAX_SUBJECT)
        priority = inputs.member(priority, Priority, "priority")
        notes = inputs.text(notes, "notes", max_length=inputs.MAX_LONG_TEXT, multiline=True, required=False)
        checked = self._files.check(attachments, self._settings.current.max_issue_attachments, room=self._room())
        self._visibility.require_property(contact, property_id)
        issue_id = new_id()
        files = self._files.save(checked, issue_id)
        return retry_on_conflict(
            lambda: self._create_once(issue_id, contact, property_id, subject, priority, notes, files)
        )

    def _create_once(
        self,
        issue_id: str,
        contact: Contact,
        property_id: str,
        subject: str,
        priority: Priority,
        notes: str,
        files: tuple[Attachment, ...],
    ) -> Issue:
        """One attempt; two issues drawing the same number at once conflict and draw again."""
        with self._uow():
            prop = self._visibility.require_property(contact, property_id)
            now = self._clock.now()
            issue = self._storage.insert(
                Issue(
                    id=issue_id,
                    number=self._next_number(),
                    property_id=prop.id,
                    subject=subject,
                    priority=priority,
                    notes=notes,
                    created_by_contact_id=contact.id,
                    main_contact_id=contact.id,
                    created_at=now,
                    last_updated=now,
                    attachment_bytes=sum(f.size for f in files),
                )
            )
            self._storage.insert_many(files)
            self._files.count_upload(contact.id, files)
            self._mail_staff("issue_created", issue.id, contact=contact, issue=issue, property=prop)
            self._outbox.event(
                IssueCreated(
                    event_id=f"issue-created:{issue.id}",
                    company_id=self._settings.current.company_id,
                    issue_id=issue.id,
                    property_id=prop.id,
                    contact_id=contact.id,
                    external_ids=external_ids(property=prop, contact=contact),
                )
            )
            return issue

    def list(
        self,
        contact: Contact,
        property_id: str,
        which: IssueFilter = IssueFilter.OPEN,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[Issue]:
        """ISS-1: Open or Closed issues of one property, most recently updated first; one page."""
        vis = self._visibility
        with self._settings.pinned():  # the checks' reads and the page's on one connection
            prop = vis.require_list(contact, Section.ISSUES, property_id)
            which = inputs.member(which, IssueFilter, "filter")
            status = IssueStatus.OPEN if which is IssueFilter.OPEN else IssueStatus.CLOSED
            where: dict[str, Any] = {"property_id": prop.id, "status": status}
            if contact.main_contact_only:  # VIS-6
                where["main_contact_id"] = contact.id
            return self._latest_first(after, limit, **where)

    def get(self, contact: Contact, issue_id: str) -> Issue:
        return self._visibility.require_job(contact, Issue, issue_id, Section.ISSUES)[0]

    def comments(self, contact: Contact, issue_id: str) -> builtins.list[Comment]:
        """ISS-4: customer comments and public staff comments, oldest first."""
        return self._shown_comments(self.get(contact, issue_id))

    def _shown_comments(self, issue: Issue) -> builtins.list[Comment]:
        found = self._storage.find(Comment, issue_id=issue.id)
        return sorted((c for c in found if c.public or not c.by_staff), key=lambda c: c.at)

    def attachments(self, contact: Contact, issue_id: str) -> dict[str | None, tuple[Attachment, ...]]:
        """The files the portal shows on an issue, by comment id (``None``: the issue's own), in
        the order attached: shared ones (VIS-7) of the issue and of the comments it shows."""
        issue = self.get(contact, issue_id)
        shown = {None, *(c.id for c in self._shown_comments(issue))}
        return _by_comment(
            f for f in self._storage.find(Attachment, issue_id=issue.id) if f.shared and f.comment_id in shown
        )

    def attachment(self, contact: Contact, issue_id: str, attachment_id: str) -> tuple[Attachment, bytes]:
        """One file the portal shows on an issue, with its bytes; any other id is ``NotFound``."""
        files = self.attachments(contact, issue_id)
        found = next((f for group in files.values() for f in group if f.id == attachment_id), None)
        if found is None:
            raise NotFound(_("No such file."))
        return found, self._files.read(found)

    def staff_attachments(self, staff: StaffUser, issue_id: str) -> dict[str | None, tuple[Attachment, ...]]:
        """``MANAGE_ISSUES``: every file of an issue and of its comments, shared or not."""
        require(staff, Permission.MANAGE_ISSUES, self._settings.company_id)
        issue = lookup(self._storage, Issue, issue_id)
        return _by_comment(self._storage.find(Attachment, issue_id=issue.id))

    def staff_attachment(self, staff: StaffUser, issue_id: str, attachment_id: str) -> tuple[Attachment, bytes]:
        """``MANAGE_ISSUES``: any file of an issue or of its comments, with its bytes."""
        require(staff, Permission.MANAGE_ISSUES, self._settings.company_id)
        issue = lookup(self._storage, Issue, issue_id)
        found = self._storage.get(Attachment, attachment_id) if inputs.is_identifier(attachment_id) else None
        if found is None or found.issue_id != issue.id:
            raise NotFound(_("No such file."))
        return found, self._files.read(found)

    def comment(self, contact: Contact, issue_id: str, text: str, attachments: Iterable[Upload] = ()) -> Comment:
        """ISS-5: a customer comment, with an optional attachment, reaches staff."""
        text = inputs.text(text, "comment", max_length=inputs.MAX_LONG_TEXT, multiline=True)
        issue = self.get(contact, issue_id)
        comment_id = new_id()
        files = self._files.save(self._files.check(attachments, 1, room=self._room(issue)), issue.id, comment_id)
        with self._uow():
            issue, prop = self._visibility.require_job(contact, Issue, issue_id, Section.ISSUES)
            if issue.status is IssueStatus.CLOSED:
                raise InvalidTransition(_("This issue is closed."))
            self._files.count_upload(contact.id, files)
            comment = self._add_comment(
                comment_id, issue, prop, contact.name, text, by_staff=False, public=True, attachments=files
            )
            self._mail_staff("issue_comment", comment.id, contact=contact, issue=issue, property=prop, comment=comment)
            return comment

    def _add_comment(
        self,
        comment_id: str,
        issue: Issue,
        prop: Property | None,
        author: str,
        text: str,
        *,
        by_staff: bool,
        public: bool,
        attachments: tuple[Attachment, ...] = (),
    ) -> Comment:
        now = self._clock.now()
        size = sum(a.size for a in attachments)
        if size > self._room(issue):
            raise ValidationError(_("This issue has no room for more files."), field="attachments")
        comment = self._storage.insert(
            Comment(
                id=comment_id,
                issue_id=issue.id,
                author_name=author,
                by_staff=by_staff,
                text=text,
                at=now,
                public=public,
            )
        )
        self._storage.insert_many(attachments)
        self._storage.update(attrs.evolve(issue, last_updated=now, attachment_bytes=issue.attachment_bytes + size))
        self._outbox.event(
            IssueCommented(
                event_id=f"issue-comment:{comment.id}",
                company_id=self._settings.current.company_id,
                issue_id=issue.id,
                comment_id=comment.id,
                by_staff=by_staff,
                public=public,
                external_ids=external_ids(property=prop),
            )
        )
        return comment

    def _mail_staff(self, notice: str, key: str, **facts: Any) -> None:
        """ISS-3, ISS-5: the property's account owner and operations manager (``notify.POLICY``;
        ``facts`` name the ``property``)."""
        self._notifier.tell(notice, key=key, **facts)

    # -- staff -----------------------------------------------------------------------------
    def staff_comment(
        self, staff: StaffUser, issue_id: str, text: str, *, public: bool, attachments: Iterable[Upload] = ()
    ) -> Comment:
        """A staff comment; the portal shows it only when ``public`` (ISS-4), and its files only
        once shared (VIS-7)."""
        require(staff, Permission.MANAGE_ISSUES, self._settings.company_id)
        text = inputs.text(text, "comment", max_length=inputs.MAX_LONG_TEXT, multiline=True)
        public = inputs.flag(public, "public")
        checked = self._files.check(attachments, self._settings.current.max_issue_attachments)
        issue, comment_id = lookup(self._storage, Issue, issue_id), new_id()
        files = self._files.save(checked, issue.id, comment_id, shared=False)
        with self._uow():
            issue = lookup(self._storage, Issue, issue_id)
            prop = self._storage.get(Property, issue.property_id)
            return self._add_comment(
                comment_id, issue, prop, staff.name, text, by_staff=True, public=public, attachments=files
            )

    def share_files(
        self, staff: StaffUser, comment_id: str, filenames: Iterable[str] | None = None
    ) -> tuple[Attachment, ...]:
        """VIS-7: make a staff comment's files (all, or the named ones) visible in the portal;
        returns the comment's files."""
        require(staff, Permission.MANAGE_ISSUES, self._settings.company_id)
        chosen = (
            None if filenames is None else {inputs.text(f, "filenames") for f in inputs.items(filenames, "filenames")}
        )
        with self._uow():
            comment = lookup(self._storage, Comment, comment_id)
            files = self._storage.find(Attachment, issue_id=comment.issue_id, comment_id=comment.id)
            sharing = [
                attrs.evolve(f, shared=True) for f in files if not f.shared and (chosen is None or f.filename in chosen)
            ]
            updated = {f.id: f for f in self._storage.update_many(sharing)} if sharing else {}
            return _by_comment(updated.get(f.id, f) for f in files).get(comment.id, ())

    def staff_issues(
        self,
        staff: StaffUser,
        status: IssueStatus = IssueStatus.OPEN,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[Issue]:
        """Every issue in ``status``, most recently updated first, for the staff's work list; one page."""
        require(staff, Permission.MANAGE_ISSUES, self._settings.company_id)
        return self._latest_first(after, limit, status=inputs.member(status, IssueStatus, "status"))

    def _latest_first(self, after: str | None, limit: int, **where: Any) -> Page[Issue]:
        """A page of the issues ``where`` says, most recently updated first: the customer's list
        (ISS-1) and the staff's."""
        return fetch(
            self._storage, Issue, order=("last_updated", "number"), descending=True, after=after, limit=limit, **where
        )

    def staff_list(
        self,
        staff: StaffUser,
        status: IssueStatus = IssueStatus.OPEN,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[StaffIssue]:
        """``MANAGE_ISSUES``: the staff's work list (ISS-1): ``staff_issues``, each with its
        property; one page."""
        page = self.staff_issues(staff, status, after=after, limit=limit)
        props = self._storage.get_many(Property, {i.property_id for i in page})
        return Page(tuple(StaffIssue(i, props.get(i.property_id)) for i in page), page.next_after)

    def staff_comments(self, staff: StaffUser, issue_id: str) -> builtins.list[Comment]:
        require(staff, Permission.MANAGE_ISSUES, self._settings.company_id)
        issue = lookup(self._storage, Issue, issue_id)
        return sorted(self._storage.find(Comment, issue_id=issue.id), key=lambda c: c.at)

    def set_status(self, staff: StaffUser, issue_id: str, status: IssueStatus) -> Issue:
        require(staff, Permission.MANAGE_ISSUES, self._settings.company_id)
        status = inputs.member(status, IssueStatus, "status")
        with self._uow():
            issue = lookup(self._storage, Issue, issue_id)
            if issue.status is status:
                raise InvalidTransition(_("The issue is already %(status)s.") % {"status": label(status).lower()})
            return self._storage.update(attrs.evolve(issue, status=status, last_updated=self._clock.now()))


def _by_comment(files: Iterable[Attachment]) -> dict[str | None, tuple[Attachment, ...]]:
    """Files grouped by comment id (``None``: the issue's own), each group in attach order."""
    grouped: dict[str | None, builtins.list[Attachment]] = {}
    for f in sorted(files, key=lambda f: f.position):
        grouped.setdefault(f.comment_id, []).append(f)
    return {owner: tuple(group) for owner, group in grouped.items()}
