from pathlib import Path

import polib
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_string_has_a_chinese_translation():
    po = polib.pofile(str(CATALOGUE))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert len(po.translated_entries()) > 100
    assert untranslated == [], untranslated
    assert fuzzy == [], fuzzy


def test_placeholders_survive_translation():
    import re

    po = polib.pofile(str(CATALOGUE))
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for entry in po.translated_entries():
        # Chinese has one plural form: it serves every count, as the plural source does.
        source = set(placeholder.findall(entry.msgid_plural or entry.msgid))
        translated = entry.msgstr_plural.get(0) if entry.msgid_plural else entry.msgstr
        assert set(placeholder.findall(translated)) == source, entry.msgid


# The names makemessages finds strings under (xgettext's and the ones Django adds).
FOUND_BY_MAKEMESSAGES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def test_strings_are_marked_under_names_makemessages_finds():
    """A string marked with another name (``gettext_lazy as _lazy``) never reaches the
    catalogue and shows in English to everyone."""
    import re

    imported = re.compile(r"from django\.utils\.translation import .*\bas (\w+)")
    unknown = [
        f"{path.relative_to(settings.BASE_DIR)}: {name}"
        for package in ("ffs_portal", "enrollment", "attendance", "staff")
        for path in (Path(settings.BASE_DIR) / package).rglob("*.py")
        for name in imported.findall(path.read_text(encoding="utf-8"))
        if name not in FOUND_BY_MAKEMESSAGES
    ]
    assert unknown == []
