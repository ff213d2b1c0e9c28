"""The file store (issue 13): bytes out of records, types by content, quotas, no list loads bytes."""

import attrs
import pytest

from portalkit import IssueFilter, NotFound, Upload, ValidationError
from portalkit._core.files import sniff
from portalkit.adapters.files import LocalFileStore, file_key
from portalkit.models import Counter, Issue

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
EXE = b"MZ\x90\x00" + bytes(60)


def test_iss_2_a_file_is_typed_by_its_bytes_not_by_what_the_browser_said(enrolled):
    w = enrolled
    with pytest.raises(ValidationError, match="cannot be attached"):
        w.portal.issues.create(
            w.alice, w.prop.id, "Photo", attachments=[Upload(filename="photo.png", data=EXE, content_type="image/png")]
        )
    issue = w.portal.issues.create(
        w.alice,
        w.prop.id,
        "Plan",
        attachments=[Upload(filename="plan", data=PDF, content_type="application/octet-stream")],
    )
    [attachment] = w.portal.issues.attachments(w.alice, issue.id)[None]
    assert (attachment.content_type, attachment.size, attachment.file_key) == (
        "application/pdf",
        len(PDF),
        file_key(PDF),
    )
    assert (sniff(PNG), sniff(b"Thank you\n"), sniff(b"\x00\x01binary")) == (
        "image/png",
        "text/plain",
        "application/octet-stream",
    )


def test_iss_2_file_names_cannot_name_paths(enrolled):
    w = enrolled
    issue = w.portal.issues.create(
        w.alice, w.prop.id, "Photo", attachments=[Upload(filename="../../etc/passwd.png", data=PNG)]
    )
    [attachment] = w.portal.issues.attachments(w.alice, issue.id)[None]
    assert "/" not in attachment.filename and not attachment.filename.startswith(".")


def test_iss_2_an_issue_has_a_quota_for_all_its_files(enrolled):
    w = enrolled
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, max_issue_upload_bytes=len(PNG) * 2))
    issue = w.portal.issues.create(w.alice, w.prop.id, "Photos", attachments=[Upload(filename="a.png", data=PNG)])
    w.portal.issues.comment(w.alice, issue.id, "Another", [Upload(filename="b.png", data=PNG)])
    with pytest.raises(ValidationError, match="too large"):
        w.portal.issues.comment(w.alice, issue.id, "And one more", [Upload(filename="c.png", data=PNG + b"c")])
    assert len(w.portal.issues.comments(w.alice, issue.id)) == 1
    assert w.portal.storage.get(Issue, issue.id).attachment_bytes == len(PNG) * 2


def test_iss_2_a_contact_has_an_upload_quota(enrolled):
    w = enrolled
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, max_contact_upload_bytes=len(PNG) * 2 + 1))
    w.portal.issues.create(w.alice, w.prop.id, "One", attachments=[Upload(filename="a.png", data=PNG)])
    w.portal.issues.create(w.alice, w.prop.id, "Two", attachments=[Upload(filename="b.png", data=PNG + b"2")])
    with pytest.raises(ValidationError, match="upload limit"):
        w.portal.issues.create(w.alice, w.prop.id, "Three", attachments=[Upload(filename="c.png", data=PNG + b"3")])
    assert [i.subject for i in w.portal.issues.list(w.alice, w.prop.id)] == ["Two", "One"]
    [counter] = [c for c in w.portal.storage.find(Counter) if c.id.endswith(w.alice.id)]
    assert counter.value == len(PNG) * 2 + 1
    w.portal.issues.create(w.bob, w.prop.id, "Bob's own quota", attachments=[Upload(filename="d.png", data=PNG)])


def test_no_list_loads_file_bytes(enrolled):
    w = enrolled
    files = w.adapters.file_store
    for n in range(5):
        issue = w.portal.issues.create(
            w.alice,
            w.prop.id,
            f"Issue {n}",
            attachments=[Upload(filename=f"{m}.png", data=PNG + bytes([n, m])) for m in range(5)],
        )
        w.portal.issues.comment(w.alice, issue.id, "More", [Upload(filename="more.png", data=PNG + bytes([n]))])
    files.reads = 0
    for which in IssueFilter:
        w.portal.issues.list(w.alice, w.prop.id, which)
    w.portal.issues.comments(w.alice, issue.id)
    w.portal.issues.staff_issues(w.staff)
    w.portal.issues.staff_comments(w.staff, issue.id)
    listed = w.portal.issues.attachments(w.alice, issue.id)
    w.portal.issues.staff_attachments(w.staff, issue.id)
    assert files.reads == 0 and [a.filename for a in listed[None]] == [f"{m}.png" for m in range(5)]
    attachment, data = w.portal.issues.attachment(w.alice, issue.id, listed[None][3].id)
    assert data == PNG + bytes([4, 3]) and files.reads == 1 and attachment.filename == "3.png"


def test_staff_open_customer_attachments_shared_or_not(enrolled):
    w = enrolled
    issue = w.portal.issues.create(w.alice, w.prop.id, "Photo", attachments=[Upload(filename="a.png", data=PNG)])
    note = w.portal.issues.staff_comment(
        w.staff, issue.id, "Crew plan", public=True, attachments=[Upload(filename="plan.pdf", data=PDF)]
    )
    files = w.portal.issues.staff_attachments(w.staff, issue.id)
    [photo], [plan] = files[None], files[note.id]
    assert w.portal.issues.staff_attachment(w.staff, issue.id, photo.id)[1] == PNG
    assert w.portal.issues.staff_attachment(w.staff, issue.id, plan.id)[1] == PDF
    assert note.id not in w.portal.issues.attachments(w.alice, issue.id)
    with pytest.raises(NotFound):  # VIS-7: not shared yet
        w.portal.issues.attachment(w.alice, issue.id, plan.id)
    other = w.portal.issues.create(w.alice, w.prop.id, "Other")
    for wrong in ("nope", other.id, "../x"):  # a file of this issue only
        with pytest.raises(NotFound):
            w.portal.issues.staff_attachment(
                w.staff, other.id if wrong != other.id else issue.id, photo.id if wrong == "nope" else wrong
            )
    w.portal.issues.share_files(w.staff, note.id)
    assert w.portal.issues.attachment(w.alice, issue.id, plan.id)[1] == PDF


def test_local_file_store_is_content_addressed_per_namespace(tmp_path):
    store = LocalFileStore(tmp_path)
    key = store.put("north", PNG)
    assert store.put("north", PNG) == key == file_key(PNG)
    assert store.get("north", key) == PNG and store.get("south", key) is None
    assert store.get("north", "../../etc/passwd") is None and store.get("..", key) is None
    with pytest.raises(ValueError):
        store.put("../escape", PNG)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [key]  # no temporary file left behind
