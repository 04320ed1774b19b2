from functools import partial

from lianke.org import access
from lianke.org.choices import Action
from lianke.org.tree import tree

from .objecttypes.registry import registry


def navigation(request):
    """The object types the user may open, for the navigation bar, and the name of the user's
    department for its user menu (from the request's department tree, which list and record
    pages read anyway: no query of its own there), read when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_types": [t for t in registry if t.in_nav and access.has_action(user, t.model, Action.VIEW)],
        # Called only by a template that shows it (not by fragments and admin pages).
        "nav_department": partial(_department_name, user.department_id),
    }


def _department_name(department_id: int | None) -> str:
    return tree().names.get(department_id, "") if department_id else ""
