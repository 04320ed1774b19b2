from lianke.org import access
from lianke.org.choices import Action
from lianke.org.tree import tree

from .objecttypes.registry import registry


def navigation(request):
    """The object types the user may open, for the navigation bar, and the name of the user's
    department for its user menu (from the request's department tree, which list and record
    pages read anyway: no query of its own there)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_types": [t for t in registry if t.in_nav and access.has_action(user, t.model, Action.VIEW)],
        "nav_department": tree().names.get(user.department_id, "") if user.department_id else "",
    }
