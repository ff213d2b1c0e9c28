import pytest

from portalkit import Access, Upload
from portalkit.errors import NotFound, PermissionDenied, ValidationError

PHOTO = Upload(filename="after.jpg", content_type="image/jpeg", data=b"\xff\xd8\xff\xe0 photo")
REPORT = Upload(filename="report.pdf", content_type="application/pdf", data=b"%PDF-1.4 report")


def test_vis_7_staff_files_hidden_until_shared(enrolled):
    w = enrolled
    issue = w.portal.issues.create(w.alice, w.prop.id, "Broken sprinkler")
    comment = w.portal.issues.staff_comment(
        w.staff, issue.id, "Fixed, photos attached", public=True, attachments=[PHOTO, REPORT]
    )
    [shown] = w.portal.issues.comments(w.alice, issue.id)
    assert shown.text == "Fixed, photos attached" and w.portal.issues.attachments(w.alice, issue.id) == {}
    w.portal.issues.share_files(w.staff, comment.id, ["after.jpg"])
    assert [a.filename for a in w.portal.issues.attachments(w.alice, issue.id)[comment.id]] == ["after.jpg"]
    assert [a.filename for a in w.portal.issues.share_files(w.staff, comment.id)] == ["after.jpg", "report.pdf"]
    assert len(w.portal.issues.attachments(w.alice, issue.id)[comment.id]) == 2
    internal = w.portal.issues.staff_comment(w.staff, issue.id, "Invoice dispute", public=False, attachments=[PHOTO])
    w.portal.issues.share_files(w.staff, internal.id)  # shared files of an internal comment stay hidden
    assert internal.id not in w.portal.issues.attachments(w.alice, issue.id)


def test_pro_7_quote_request_needs_permission_and_reaches_staff(enrolled):
    w = enrolled
    with pytest.raises(PermissionDenied):
        w.portal.proposals.request_quote(w.alice, w.prop.id, "New flower beds")
    w.portal.directory.update_contact(w.staff, w.alice.id, access=Access(quote_requests=True))
    alice = w.portal.directory.contact(w.alice.id)
    with pytest.raises(ValidationError):
        w.portal.proposals.request_quote(alice, w.prop.id, "  ")
    with pytest.raises(NotFound):
        w.portal.proposals.request_quote(alice, w.stranger.property_ids[0], "Not my property")
    request = w.portal.proposals.request_quote(alice, w.prop.id, "New flower beds by the entrance")
    assert [q.id for q in w.portal.proposals.quote_requests(w.staff)] == [request.id]
    [mail] = w.mailer.to("owner@greenacres.test")
    assert "Quote request from Alice Green" in mail.subject and "flower beds" in mail.text
