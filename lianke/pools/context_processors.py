from functools import partial

from lianke.core import configcache


def navigation(request):
    """Whether the navigation offers the pools page: to administrators and the users who
    administer a pool, read when a template shows it and kept across requests while the
    configuration is unchanged."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_pools": partial(offers_pools, user)}


def offers_pools(user) -> bool:
    return user.is_superuser or configcache.cached(("manages_pools", user.pk), user.managed_pools.exists)
