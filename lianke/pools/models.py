"""A pool: who sees the records in it (members, member departments) and who manages it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianke.core import configcache, context


class Pool(models.Model):
    """A shared holding area (公海) of unowned records of one object type."""

    name = models.CharField(_("name"), max_length=100)
    object_type = models.CharField(_("object type"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="member_pools"
    )
    member_departments = models.ManyToManyField(
        "org.Department",
        verbose_name=_("member departments"),
        blank=True,
        related_name="+",
        help_text=_("Everyone in these departments and their sub-departments is a member."),
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("administrators"), blank=True, related_name="managed_pools"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["object_type", "name"]
        verbose_name = _("pool")
        verbose_name_plural = _("pools")

    def __str__(self):
        return self.name

    @classmethod
    def ids_for(cls, user, *, manage: bool = False) -> list[int]:
        """The active pools ``user`` belongs to: administrators only to manage, administrators,
        members and member departments' people (sub-departments included) to read. Cached
        for the acting user's request and kept across requests while the configuration is
        unchanged (``core.configcache``)."""
        ctx = context.current()
        if ctx is None or ctx.user is None or ctx.user.pk != user.pk:
            return cls._load_ids(user, manage)
        key = ("pool_ids", user.pk, user.department_id, manage)
        if key not in ctx.cache:
            ctx.cache[key] = configcache.cached(key, lambda: cls._load_ids(user, manage))
        return ctx.cache[key]

    @classmethod
    def _load_ids(cls, user, manage: bool) -> list[int]:
        q = Q(admins=user)
        if not manage:
            q |= Q(members=user)
            from lianke.org.access import department_and_above_ids

            if above := department_and_above_ids(user):
                q |= Q(member_departments__in=above)
        return sorted(set(cls.objects.filter(q, is_active=True).values_list("pk", flat=True)))


def pool_field() -> models.ForeignKey:
    """The ``pool`` relation of a pooled model (``core.models.base.PooledModel``): where the
    record sits while it has no owner."""
    return models.ForeignKey(
        Pool,
        verbose_name=_("pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text=_("The pool the record sits in while it has no owner."),
        db_index=False,  # set_only_indexes(…, "pool") in the model's Meta
    )


def administered(user) -> Q:
    """The pools ``user`` administers: the delegated part of the pool's config kind."""
    return Q(admins=user)
