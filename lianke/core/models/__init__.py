from .base import BusinessManager, BusinessModel, BusinessQuerySet, TimestampedModel
from .changes import ObjectChange
from .config import ConfigVersion
from .customfields import CustomField, FieldType, clean_custom_data, definitions_for
from .files import Attachment
from .recent import RecentRecord
from .views import SavedView

__all__ = [
    "Attachment",
    "BusinessManager",
    "BusinessModel",
    "BusinessQuerySet",
    "CustomField",
    "FieldType",
    "ConfigVersion",
    "clean_custom_data",
    "definitions_for",
    "ObjectChange",
    "RecentRecord",
    "SavedView",
    "TimestampedModel",
]
