"""The Simplified Chinese catalog is complete, and the compiled .mo matches the .po."""

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _po_entries():
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n")[1:]:  # the first block is the header
        fuzzy = "#, fuzzy" in block or re.search(r"^#,.*\bfuzzy\b", block, re.M)
        msgid = "".join(re.findall(r'^(?:msgid|msgctxt)?\s*"(.*)"$', block.split("msgstr")[0], re.M))
        msgstrs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        if "msgid" not in block:
            continue
        translated = all(first or rest.strip() for first, rest in msgstrs) if msgstrs else False
        entries.append((msgid, bool(fuzzy), translated))
    return entries


def test_every_message_has_a_chinese_translation_and_none_is_fuzzy():
    # given the catalog
    entries = _po_entries()
    # then it is not empty, and every entry is translated and reviewed
    assert len(entries) > 400
    assert [m for m, fuzzy, _t in entries if fuzzy] == []
    assert [m for m, _f, translated in entries if not translated] == []


def test_the_compiled_catalog_is_up_to_date_with_the_po_file():
    # given the compiled catalog
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    # then a message added to the .po is also in the .mo (compilemessages was run)
    assert catalog.gettext("Recycle bin") == "回收站"
    assert len(catalog._catalog) >= len(_po_entries())


@pytest.mark.django_db
def test_the_login_page_speaks_chinese_by_default_and_english_on_request():
    # when a browser without a language preference, then an English one, opens the login page
    chinese = Client().get("/login/").content.decode()
    english = Client(headers={"accept-language": "en"}).get("/login/").content.decode()
    # then the first is in Chinese (the default) and the second in English
    assert "登录" in chinese
    assert "Log in" in english


GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
TEMPLATE_TRANSLATE = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.*?)\1""")


def _source_messages() -> set[str]:
    """Every literal message the code and the templates mark for translation."""
    import ast

    root = LOCALE.parents[2]
    found: set[str] = set()
    for path in root.rglob("*.py"):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in GETTEXT_CALLS:
                continue
            arg = node.args[1] if name.startswith("pgettext") and len(node.args) > 1 else node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    for path in root.rglob("*.html"):
        found.update(m.group(2) for m in TEMPLATE_TRANSLATE.finditer(path.read_text(encoding="utf-8")))
    return found


def test_every_message_in_the_code_and_templates_is_in_the_catalog():
    # given the messages marked for translation in the source (a new field's label, say)
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    known = {key if isinstance(key, str) else key[0] for key in catalog._catalog}
    known = {k.split("\x04", 1)[-1] for k in known}
    # then each is in the compiled catalog (makemessages and a translation were not forgotten)
    assert sorted(_source_messages() - known) == []
