"""The review workflow and the roles, as data. The store enforces them on the server; the UI only mirrors them.

    Submitted --start--> Under Review --approve--> Approved
                                      --request_changes--> Changes requested --revise--> (new version) Submitted
                                      --reject--> Rejected

An approved version stays published until a newer version of the same article is approved.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: "Submitted",
    Status.UNDER_REVIEW: "Under Review",
    Status.APPROVED: "Approved",
    Status.CHANGES_REQUESTED: "Changes requested",
    Status.REJECTED: "Rejected",
}


class ReviewAction(StrEnum):
    START = "start"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


# (from status, action) -> to status. Anything not listed is a forbidden move (HTTP 409).
TRANSITIONS: dict[tuple[Status, ReviewAction], Status] = {
    (Status.SUBMITTED, ReviewAction.START): Status.UNDER_REVIEW,
    (Status.UNDER_REVIEW, ReviewAction.APPROVE): Status.APPROVED,
    (Status.UNDER_REVIEW, ReviewAction.REQUEST_CHANGES): Status.CHANGES_REQUESTED,
    (Status.UNDER_REVIEW, ReviewAction.REJECT): Status.REJECTED,
}

# Statuses from which a new version may be made: after changes were requested (a revision), or to refresh
# an approved or rejected article against a newer corpus snapshot. Never while a version awaits review.
NEW_VERSION_FROM: frozenset[Status] = frozenset({Status.CHANGES_REQUESTED, Status.APPROVED, Status.REJECTED})

# The steps the status tracker shows, in order.
TRACKER_STEPS: tuple[Status, ...] = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.APPROVED)


def next_status(current: Status, action: ReviewAction) -> Status | None:
    """The status ``action`` leads to from ``current``, or None when the move is not allowed."""
    return TRANSITIONS.get((current, action))


class Role(StrEnum):
    READER = "reader"
    CLINICIAN = "clinician"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Permission(StrEnum):
    ASK = "ask"  # ask questions and follow-ups
    REVIEW = "review"  # see drafts of others, act on the review queue, comment
    MANAGE_USERS = "manage_users"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.READER: frozenset(),
    Role.CLINICIAN: frozenset({Permission.ASK}),
    Role.REVIEWER: frozenset({Permission.ASK, Permission.REVIEW}),
    Role.ADMIN: frozenset({Permission.ASK, Permission.REVIEW, Permission.MANAGE_USERS}),
}


def has_permission(role: str | None, permission: Permission) -> bool:
    """Whether ``role`` (None: anonymous) may do ``permission``."""
    if role is None:
        return False
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
