"""Issues with photos and comments (ISS-1..5) and reports (VIS-3), through ``portal.issues``
and ``portal.reports``."""

from __future__ import annotations

from ...issues._issues import IssueFilter
from ...models import Priority
from ...web.http import FileResponse, attachment_response
from .. import shapes as s
from ..core import Call
from . import _out

ISSUE_FILTERS = {"open": IssueFilter.OPEN, "closed": IssueFilter.CLOSED}
PRIORITIES = {p.value: p for p in Priority}


def list_issues(call: Call) -> s.IssuePage:
    """ISS-1: Open or Closed, most recently updated first; one page."""
    q: s.IssueQuery = call.query
    page = call.portal.issues.list(call.me, q.property_id, ISSUE_FILTERS[q.status], after=q.after, limit=q.limit)
    return s.IssuePage(items=[_out.issue(i) for i in page], next_after=page.next_after)


def _detail(call: Call, issue_id: str) -> s.IssueDetail:
    issues, contact = call.portal.issues, call.me
    issue = issues.get(contact, issue_id)
    files = issues.attachments(contact, issue.id)
    comments = [
        s.CommentOut(
            id=c.id,
            author_name=c.author_name,
            by_staff=c.by_staff,
            text=c.text,
            at=s.when(c.at),
            files=[_out.issue_file(call, issue.id, f) for f in files.get(c.id, ())],
        )
        for c in issues.comments(contact, issue.id)
    ]
    return s.IssueDetail(
        issue=_out.issue(issue),
        files=[_out.issue_file(call, issue.id, f) for f in files.get(None, ())],
        comments=comments,
    )


def create_issue(call: Call) -> s.IssueDetail:
    """ISS-2, ISS-3: on one of the contact's properties, photos attached (multipart ``files``)."""
    body: s.NewIssue = call.body
    issue = call.portal.issues.create(
        call.me,
        body.property_id,
        body.subject,
        priority=PRIORITIES[body.priority],
        notes=body.notes,
        attachments=call.uploads.get("files", []),
    )
    return _detail(call, issue.id)


def get_issue(call: Call) -> s.IssueDetail:
    return _detail(call, call.params["id"])


def comment(call: Call) -> s.CommentOut:
    """ISS-5: a comment, with one attachment (multipart ``file``), reaches staff."""
    body: s.NewComment = call.body
    issues = call.portal.issues
    added = issues.comment(call.me, call.params["id"], body.text, call.uploads.get("file", []))
    files = issues.attachments(call.me, added.issue_id).get(added.id, ())
    return s.CommentOut(
        id=added.id,
        author_name=added.author_name,
        by_staff=added.by_staff,
        text=added.text,
        at=s.when(added.at),
        files=[_out.issue_file(call, added.issue_id, f) for f in files],
    )


def issue_file(call: Call) -> FileResponse:
    """A photo or file the portal shows on the issue; images and PDFs inline, others as downloads."""
    return attachment_response(*call.portal.issues.attachment(call.me, call.params["id"], call.params["file_id"]))


def list_reports(call: Call) -> s.ReportPage:
    """VIS-3: the property's reports of the kinds the contact may see, latest first."""
    q: s.ListQuery = call.query
    page = call.portal.reports.list(call.me, q.property_id, after=q.after, limit=q.limit)
    return s.ReportPage(items=[_out.report(call, r) for r in page], next_after=page.next_after)


def report_pdf(call: Call) -> FileResponse:
    return FileResponse(call.portal.reports.pdf(call.me, call.params["id"]), "application/pdf", "report.pdf")
