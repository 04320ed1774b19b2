"""URLs for every registered object type, generated from the registry:
``/<app>/<model>/…`` named ``<app>:<model>_<action>``."""

from django.core.exceptions import ImproperlyConfigured
from django.urls import include, path

from .objecttypes.registry import registry
from .views import handover, misc, objects, stages

ROUTES = (
    ("", objects.ObjectListView, "list"),
    ("new/", objects.ObjectEditView, "create"),
    ("bulk/", objects.BulkActionView, "bulk"),
    ("export/", objects.ObjectExportView, "export"),
    ("recycle-bin/", objects.RecycleBinView, "recycle_bin"),
    ("<int:pk>/", objects.ObjectDetailView, "detail"),
    ("<int:pk>/edit/", objects.ObjectEditView, "edit"),
    ("<int:pk>/delete/", objects.ObjectDeleteView, "delete"),
    ("<int:pk>/transfer/", objects.ObjectTransferView, "transfer"),
    ("<int:pk>/history/", objects.ObjectHistoryView, "history"),
    ("<int:pk>/collaborators/", objects.CollaboratorView, "collaborators"),
)
# Routes of object types that declare a feature: (route, view, action, declaration needed).
FEATURE_ROUTES = (
    ("<int:pk>/move/", stages.StageMoveView, "move", "stage_path"),
    ("board/", stages.BoardView, "board", "stage_path"),
)


def object_urlpatterns():
    by_app: dict[str, list] = {}
    for ot in registry:
        patterns = by_app.setdefault(ot.app_label, [])
        routes = [
            *ROUTES,
            *((r, v, a) for r, v, a, feature in FEATURE_ROUTES if getattr(ot, feature) is not None),
        ]
        unknown = sorted(set(ot.views) - {action for _route, _view, action in routes})
        if unknown:
            raise ImproperlyConfigured(
                f"{type(ot).__name__}.views replaces {unknown}, which {ot.key} has no page for."
            )
        for route, view, action in routes:
            view_class = ot.views.get(action, view)
            patterns.append(
                path(
                    f"{ot.model_name}/{route}",
                    view_class.as_view(object_type=ot),
                    name=f"{ot.model_name}_{action}",
                )
            )
        patterns.extend(ot.extra_urls())
    return [path(f"{app}/", include((patterns, app), namespace=app)) for app, patterns in by_app.items()]


app_name = "core"
urlpatterns = [
    path("search/", misc.search, name="search"),
    path("lookup/<str:object_type>/", misc.lookup, name="lookup"),
    path("people/<str:purpose>/", misc.user_picker, name="user_picker"),
    path("attachments/<int:pk>/", misc.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", misc.attachment_delete, name="attachment_delete"),
    path(
        "attachments/upload/<int:content_type_id>/<int:object_id>/",
        misc.attachment_upload,
        name="attachment_upload",
    ),
    path("views/<str:object_type>/save/", misc.saved_view_save, name="saved_view_save"),
    path("views/<int:pk>/delete/", misc.saved_view_delete, name="saved_view_delete"),
    path("settings/users/<int:pk>/handover/", handover.user_handover, name="user_handover"),
]
