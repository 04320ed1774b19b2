"""Saved list views: a name for a list's URL state (filters, sort, columns, page size), kept
for its author or shared with roles and departments."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user, object_type: str):
        """The author's own views, and those shared with one of the user's roles or with the
        user's department or a department above it (a share covers the sub-departments)."""
        from lianke.org.access import department_and_above_ids

        by_role = SavedView.shared_roles.through.objects.filter(role__users=user, role__is_active=True)
        q = models.Q(user=user) | models.Q(pk__in=by_role.values("savedview"))
        if above := department_and_above_ids(user):
            by_department = SavedView.shared_departments.through.objects.filter(department__in=above)
            q |= models.Q(pk__in=by_department.values("savedview"))
        return self.filter(q, object_type=object_type)


class SavedView(models.Model):
    """A named list view (its URL query) of one object type, private or shared."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.CASCADE,
        related_name="saved_views",
        db_index=False,
    )
    object_type = models.CharField(_("object type"), max_length=100)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("query"), max_length=2000, blank=True)
    shared_roles = models.ManyToManyField(
        "org.Role", verbose_name=_("shared with roles"), blank=True, related_name="+"
    )
    shared_departments = models.ManyToManyField(
        "org.Department",
        verbose_name=_("shared with departments"),
        blank=True,
        related_name="+",
        help_text=_("A department share includes its sub-departments."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        indexes = [models.Index(fields=["object_type", "user"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "object_type", "name"], name="core_savedview_unique_name")
        ]

    def __str__(self):
        return self.name
