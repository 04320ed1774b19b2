from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import configcache


class ConfigVersion(models.Model):
    """The configuration token (``core.configcache``): one row, which triggers on every watched
    table replace with a random value whenever configuration changes."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    token = models.CharField(_("token"), max_length=64)

    class Meta:
        db_table = configcache.TABLE
        verbose_name = _("configuration version")
        verbose_name_plural = _("configuration versions")

    def __str__(self):
        return self.token
