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
