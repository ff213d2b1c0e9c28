import pytest

from portalkit import IssueFilter, IssueStatus, Priority, Upload
from portalkit.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError

PNG = Upload(filename="photo.png", content_type="image/png", data=b"\x89PNG\r\n\x1a\n" + b"0" * 100)


def test_iss_1_open_and_closed_lists_with_last_updated(enrolled):
    w = enrolled
    iss = w.portal.issues
    first = iss.create(w.alice, w.prop.id, "Broken sprinkler")
    w.clock.advance(hours=1)
    second = iss.create(w.alice, w.prop.id, "Dead tree")
    w.clock.advance(hours=1)
    iss.comment(w.alice, first.id, "Still leaking")
    assert [i.number for i in iss.list(w.alice, w.prop.id)] == [first.number, second.number]
    assert iss.get(w.alice, first.id).last_updated == w.clock.now()
    iss.set_status(w.staff, second.id, IssueStatus.CLOSED)
    assert [i.number for i in iss.list(w.alice, w.prop.id, IssueFilter.CLOSED)] == [second.number]
    assert (first.number, second.number) == (1, 2)


def test_iss_2_create_subject_priority_notes_attachments(enrolled):
    w = enrolled
    issue = w.portal.issues.create(
        w.alice, w.prop.id, "  Fence   damage ", priority=Priority.HIGH, notes="Near the gate", attachments=[PNG] * 5
    )
    assert (issue.subject, issue.priority, issue.notes) == ("Fence damage", Priority.HIGH, "Near the gate")
    assert len(w.portal.issues.attachments(w.alice, issue.id)[None]) == 5
    assert issue.property_id == w.prop.id


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subject": "   "},
        {"subject": "x", "attachments": [PNG] * 6},
        {
            "subject": "x",
            "attachments": [
                Upload(filename="a.exe", content_type="application/x-msdownload", data=b"MZ\x90\x00" + bytes(60))
            ],
        },
        {
            "subject": "x",
            "attachments": [Upload(filename="big.png", content_type="image/png", data=b"0" * (10 * 1024 * 1024 + 1))],
        },
        {"subject": "x", "attachments": [Upload(filename="empty.png", content_type="image/png", data=b"")]},
        {"subject": "x", "priority": "Urgent"},
    ],
)
def test_iss_2_bad_input_refused_nothing_written(enrolled, kwargs):
    w = enrolled
    with pytest.raises(ValidationError):
        w.portal.issues.create(w.alice, w.prop.id, **kwargs)
    assert w.portal.issues.list(w.alice, w.prop.id) == [] and w.mailer.to("ops@greenacres.test") == []


def test_iss_3_create_mails_account_owner_and_operations_manager(enrolled):
    w = enrolled
    issue = w.portal.issues.create(w.alice, w.prop.id, "Broken sprinkler", priority=Priority.HIGH)
    [mail] = [m for m in w.mailer.outbox if m.subject.startswith("New issue")]
    assert set(mail.to) == {"owner@greenacres.test", "ops@greenacres.test"}
    assert f"#{issue.number}" in mail.subject and "Priority: High" in mail.text


def test_iss_4_only_public_staff_comments_and_own_comments_shown(enrolled):
    w = enrolled
    iss = w.portal.issues
    issue = iss.create(w.alice, w.prop.id, "Broken sprinkler")
    iss.comment(w.alice, issue.id, "It floods the path", [PNG])
    w.clock.advance(minutes=1)
    iss.staff_comment(w.staff, issue.id, "Crew booked for Tuesday", public=True)
    iss.staff_comment(w.staff, issue.id, "Customer is difficult", public=False)
    shown = iss.comments(w.alice, issue.id)
    assert [c.text for c in shown] == ["It floods the path", "Crew booked for Tuesday"]
    files = iss.attachments(w.alice, issue.id)
    assert (
        shown[0].author_name == "Alice Green"
        and [a.filename for a in files[shown[0].id]] == ["photo.png"]
        and shown[1].at == w.clock.now()
    )
    assert len(iss.staff_comments(w.staff, issue.id)) == 3
    file, data = iss.attachment(w.alice, issue.id, files[shown[0].id][0].id)
    assert (file.content_type, file.size, data) == ("image/png", len(PNG.data), PNG.data)


def test_iss_5_customer_comment_reaches_staff(enrolled):
    w = enrolled
    issue = w.portal.issues.create(w.alice, w.prop.id, "Broken sprinkler")
    w.portal.issues.comment(w.bob, issue.id, "Saw it too")
    mail = w.mailer.to("ops@greenacres.test")[-1]
    assert "new comment from Bob Stone" in mail.subject and "Saw it too" in mail.text
    with pytest.raises(ValidationError):
        w.portal.issues.comment(w.bob, issue.id, "two files", [PNG, PNG])


def test_issue_views_respect_flag_toggle_and_ownership(enrolled):
    import attrs

    from portalkit import Access

    w = enrolled
    issue = w.portal.issues.create(w.alice, w.prop.id, "Broken sprinkler")
    with pytest.raises(NotFound):
        w.portal.issues.get(w.stranger, issue.id)
    with pytest.raises(NotFound):
        w.portal.issues.comment(w.stranger, issue.id, "hi")
    w.portal.directory.update_contact(w.staff, w.bob.id, access=Access(issues=False))
    with pytest.raises(PermissionDenied):
        w.portal.issues.list(w.portal.directory.contact(w.bob.id), w.prop.id)
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, show_issues=False))
    with pytest.raises(PermissionDenied):
        w.portal.issues.create(w.alice, w.prop.id, "x")


def test_closed_issue_takes_no_comment_and_transitions_are_checked(enrolled):
    w = enrolled
    issue = w.portal.issues.create(w.alice, w.prop.id, "Broken sprinkler")
    w.portal.issues.set_status(w.staff, issue.id, IssueStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        w.portal.issues.comment(w.alice, issue.id, "hello?")
    with pytest.raises(InvalidTransition):
        w.portal.issues.set_status(w.staff, issue.id, IssueStatus.CLOSED)
    assert w.portal.issues.set_status(w.staff, issue.id, IssueStatus.OPEN).status is IssueStatus.OPEN
