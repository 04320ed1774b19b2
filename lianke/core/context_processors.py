from lianke.org import access
from lianke.org.choices import Action

from .objecttypes.registry import registry


def navigation(request):
    """The object types the user may open, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_types": [t for t in registry if t.in_nav and access.has_action(user, t.model, Action.VIEW)]}
