"""What ``scripts/start`` and ``lianke serve`` do before serving works with production settings."""

import pytest
from django.core.management import call_command


def test_collectstatic_with_the_production_manifest_storage_succeeds(settings, tmp_path):
    # given the storage `lianke serve` uses (hashed names, compressed copies)
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # when the static files are collected (every reference in CSS/JS must resolve)
    call_command("collectstatic", interactive=False, verbosity=0)
    # then the vendored assets are there under hashed names
    names = {p.name for p in (tmp_path / "static").rglob("*")}
    assert any(n.startswith("bootstrap.min.") and n.endswith(".css") for n in names)
    assert any(n.startswith("htmx.min.") and n.endswith(".js") for n in names)


@pytest.mark.django_db
def test_the_deploy_checks_are_clean_with_production_settings(settings):
    # given production settings: HTTPS, a long random secret, no debug. (The browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE in the test worker, which only the async.E001 check reports.)
    # Mail goes out by SMTP (LIANKE_EMAIL_HOST set; without it the console backend prints mail
    # and this check says so).
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "async.E001"]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 30 + "y" * 30 + "-long-random-secret-for-the-check"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    # when Django's deployment checks run, then none fails
    call_command("check", deploy=True, fail_level="WARNING")
