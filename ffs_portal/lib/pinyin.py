"""Pinyin for Chinese names, so the tablet finds 王小明 by typing "wxm" or "wangxiaoming"."""

from pypinyin import lazy_pinyin

# Family names read differently from the same character in other words.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
    "覃": "qin",
    "盖": "ge",
    "尉": "yu",
    "缪": "miao",
    "乐": "yue",
    "召": "shao",
    "黑": "he",
    "长": "chang",
    "重": "chong",
}


def name_pinyin(name: str) -> list[str]:
    """Syllables of a name, lower case; characters without a reading are left out."""
    name = name.strip()
    if not name:
        return []
    syllables = [s.lower() for s in lazy_pinyin(name, errors="ignore") if s.isascii()]
    if name[0] in SURNAME_READINGS and syllables:
        syllables[0] = SURNAME_READINGS[name[0]]
    return syllables


def initials(name: str) -> str:
    return "".join(s[0] for s in name_pinyin(name))


def full_pinyin(name: str) -> str:
    return "".join(name_pinyin(name))
