"""The favicon every browser asks for, and the API docs working without leaving the host."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon():
    # when a browser asks for /favicon.ico, as browsers do on every site
    client = Client()
    response = client.get("/favicon.ico")
    # then it is sent on to the SVG icon, which answers
    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


def test_the_api_docs_page_has_the_icon_and_loads_redoc_from_the_host(org, client_for):
    # when a user opens the API docs
    html = client_for(org.rep_js).get("/api/docs/").content.decode()
    # then the page names the icon and loads Redoc from this host only
    assert '<link rel="icon" href="/static/lianke/favicon.svg"' in html
    assert '<script src="/api/docs/redoc.js"></script>' in html
    assert "http://" not in html and "https://" not in html


def test_the_redoc_bundle_refers_to_no_outside_image(org, client_for):
    # when the browser loads the docs' script
    client = client_for(org.rep_js)
    response = client.get("/api/docs/redoc.js")
    # then it is Redoc, without the logo from Redoc's CDN nor a source map this host lacks
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "Redoc" in body and len(body) > 500_000
    assert "cdn.redoc.ly" not in body
    assert "sourceMappingURL=redoc.standalone.js.map" not in body
    # and a second visit is answered from the browser's cache
    again = client.get("/api/docs/redoc.js", headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304
