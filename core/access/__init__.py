"""Who is acting, through what, and what they may do (SPEC §18).

Every surface says who is acting when it starts work: Slack (the user who typed or clicked), the
browser, the API and the admin (the signed-in person), or the system itself (sweeps, cron). The
services read it from here, so that one place decides what is allowed (``require``) and the audit
log knows who changed what through which surface (``current``).

    with acting_as(Acting(via=Via.SLACK, slack_user=user, person=user.owner)):
        services.incident_update(...)  # may raise PermissionRefused("change_severity")
"""

from core.access.acting import Acting, Via, act_from_here_as, acting_as, current
from core.access.permissions import (
    Permission,
    PermissionRefused,
    allowed,
    require,
)
from core.access.visibility import may_decide_access, may_see, visible_incidents

__all__ = [
    "Acting",
    "Permission",
    "PermissionRefused",
    "Via",
    "act_from_here_as",
    "acting_as",
    "allowed",
    "current",
    "may_decide_access",
    "may_see",
    "require",
    "visible_incidents",
]
