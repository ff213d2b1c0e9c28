"""Jobs and visits at the customer's properties (issue 26): see ``_service.Jobs``."""

from ._calendar import calendar_of
from ._service import (
    FEED_LIFETIME,
    CustomerSaid,
    HostJobs,
    Jobs,
    JobView,
    StaffJob,
    StaffJobView,
    StaffVisit,
    VisitRow,
    checked_crew,
)

__all__ = [
    "FEED_LIFETIME",
    "CustomerSaid",
    "HostJobs",
    "JobView",
    "Jobs",
    "StaffJob",
    "StaffJobView",
    "StaffVisit",
    "VisitRow",
    "calendar_of",
    "checked_crew",
]
