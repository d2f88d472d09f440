"""The roster's columns and the words accepted in its cells, in Chinese and in English."""

import unicodedata
from dataclasses import dataclass
from functools import cache

from django.utils import translation

from enrollment.models import Province, Relation, Sex


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        """The header of the template: Chinese, then English after a slash."""
        return f"{self.zh}/{self.en}"

    @property
    def label(self) -> str:
        """The column's name in the user's language, for messages."""
        return self.zh if translation.get_language() != "en" else self.en


# In the template's order; an export writes them in this order too.
COLUMNS = [
    Column(
        "employee_no",
        "工号",
        "Employee No.",
        True,
        ("员工编号", "员工号", "工号编号", "employee number", "emp no", "employee id", "staff no"),
    ),
    Column(
        "worker_name",
        "员工姓名",
        "Worker name",
        True,
        (
            "员工",
            "姓名",
            "工人姓名",
            "职工姓名",
            "家长姓名",
            "worker",
            "employee name",
            "parent name",
        ),
    ),
    Column(
        "department",
        "部门",
        "Department",
        False,
        ("部门/产线", "产线", "车间", "班组", "line", "department/line"),
    ),
    Column(
        "mobile",
        "手机",
        "Mobile",
        True,
        (
            "手机号",
            "手机号码",
            "联系电话",
            "电话",
            "员工手机",
            "mobile phone",
            "phone",
            "worker mobile",
        ),
    ),
    Column(
        "province",
        "户籍省份",
        "Home province",
        False,
        ("户籍", "户口所在地", "户籍省", "籍贯", "省份", "hukou", "hukou province", "province"),
    ),
    Column(
        "child_name",
        "孩子姓名",
        "Child name",
        True,
        ("子女姓名", "儿童姓名", "小孩姓名", "孩子", "child", "child's name", "name of child"),
    ),
    Column("sex", "性别", "Sex", True, ("孩子性别", "子女性别", "gender", "child sex")),
    Column(
        "date_of_birth",
        "出生日期",
        "Date of birth",
        True,
        ("生日", "出生年月日", "孩子出生日期", "birth date", "birthday", "dob"),
    ),
    Column(
        "allergies",
        "过敏及健康",
        "Allergies and health",
        False,
        ("过敏", "过敏史", "健康状况", "过敏/健康", "allergies", "health"),
    ),
    Column(
        "pickup_name",
        "接送人",
        "Pickup adult",
        False,
        ("接送人姓名", "接送人员", "pickup", "pickup name", "authorized pickup"),
    ),
    Column(
        "pickup_relation",
        "接送人关系",
        "Pickup relation",
        False,
        ("与孩子关系", "关系", "接送人与孩子关系", "relation", "relationship"),
    ),
    Column(
        "pickup_mobile",
        "接送人手机",
        "Pickup mobile",
        False,
        ("接送人电话", "接送人手机号", "pickup phone"),
    ),
]
# Optional, after the family's columns: the guardian's consent as signed on paper, and the
# term (and its site, where two sites have a term of that name) to enrol the child in.
CONSENT_AND_TERM_COLUMNS = [
    Column(
        "consent_date",
        "同意书签署日期",
        "Consent signed on",
        False,
        ("同意书日期", "签署日期", "consent date", "consent signed"),
    ),
    Column(
        "consent_version", "同意书版本", "Consent version", False, ("版本", "consent text version")
    ),
    Column(
        "consent_signer",
        "签署人",
        "Consent signed by",
        False,
        ("同意书签署人", "监护人签名", "signed by", "consent signer"),
    ),
    Column(
        "consent_relation",
        "签署人关系",
        "Signer relation",
        False,
        ("签署人与孩子关系", "signer's relation", "consent relation"),
    ),
    Column("site", "站点", "Site", False, ("托管点", "space")),
    Column("term", "学期", "Term", False, ("报名学期", "期次", "enrol in term")),
]
ALL_COLUMNS = [*COLUMNS, *CONSENT_AND_TERM_COLUMNS]
COLUMNS_BY_KEY = {column.key: column for column in ALL_COLUMNS}
REQUIRED = [column.key for column in COLUMNS if column.required]

# The template's example row; an import skips a row that is still exactly this.
EXAMPLE_ROW = {
    "employee_no": "E10001",
    "worker_name": "王芳",
    "department": "装配一线",
    "mobile": "13800138000",
    "province": "四川",
    "child_name": "李小明",
    "sex": "男",
    "date_of_birth": "2019-05-01",
    "allergies": "花生过敏",
    "pickup_name": "王秀英",
    "pickup_relation": "外婆",
    "pickup_mobile": "13900139000",
}

# Written at the end of an export; an import reads past them without a word.
EXPORT_ONLY_COLUMNS = [
    Column("consent", "同意书", "Consent"),
    Column("enrollment_status", "报名状态", "Enrolment status"),
]
# Written by the file of rejected rows: what to correct in each row.
PROBLEMS_COLUMN = Column("problems", "问题", "Problems")


def normalise(text) -> str:
    """Lower case, full-width forms folded, spaces and decoration dropped: for matching words."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    for mark in (" ", "\t", "\n", "\r", "_", ".", ":", "*", "'", "’", "\u3000"):
        text = text.replace(mark, "")
    for suffix in ("(必填)", "(选填)", "(required)", "(optional)"):
        text = text.replace(suffix, "")
    return text


@cache
def _header_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for column in [*ALL_COLUMNS, *EXPORT_ONLY_COLUMNS, PROBLEMS_COLUMN]:
        for word in (column.header, column.zh, column.en, *column.aliases):
            words.setdefault(normalise(word), column.key)
    return words


def column_for_header(header) -> str | None:
    """The key of the column a header names ("工号/Employee No.", "工号" or "employee no")."""
    if header is None:
        return None
    words = _header_words()
    whole = normalise(header)
    if not whole:
        return None
    if whole in words:
        return words[whole]
    for part in whole.split("/"):
        if part in words:
            return words[part]
    return None


PROVINCE_ZH: dict[str, tuple[str, ...]] = {
    Province.BEIJING: ("北京", "北京市"),
    Province.TIANJIN: ("天津", "天津市"),
    Province.HEBEI: ("河北", "河北省"),
    Province.SHANXI: ("山西", "山西省"),
    Province.INNER_MONGOLIA: ("内蒙古", "内蒙古自治区", "内蒙"),
    Province.LIAONING: ("辽宁", "辽宁省"),
    Province.JILIN: ("吉林", "吉林省"),
    Province.HEILONGJIANG: ("黑龙江", "黑龙江省"),
    Province.SHANGHAI: ("上海", "上海市"),
    Province.JIANGSU: ("江苏", "江苏省"),
    Province.ZHEJIANG: ("浙江", "浙江省"),
    Province.ANHUI: ("安徽", "安徽省"),
    Province.FUJIAN: ("福建", "福建省"),
    Province.JIANGXI: ("江西", "江西省"),
    Province.SHANDONG: ("山东", "山东省"),
    Province.HENAN: ("河南", "河南省"),
    Province.HUBEI: ("湖北", "湖北省"),
    Province.HUNAN: ("湖南", "湖南省"),
    Province.GUANGDONG: ("广东", "广东省"),
    Province.GUANGXI: ("广西", "广西壮族自治区", "广西自治区"),
    Province.HAINAN: ("海南", "海南省"),
    Province.CHONGQING: ("重庆", "重庆市"),
    Province.SICHUAN: ("四川", "四川省"),
    Province.GUIZHOU: ("贵州", "贵州省"),
    Province.YUNNAN: ("云南", "云南省"),
    Province.TIBET: ("西藏", "西藏自治区", "xizang"),
    Province.SHAANXI: ("陕西", "陕西省"),
    Province.GANSU: ("甘肃", "甘肃省"),
    Province.QINGHAI: ("青海", "青海省"),
    Province.NINGXIA: ("宁夏", "宁夏回族自治区"),
    Province.XINJIANG: ("新疆", "新疆维吾尔自治区"),
    Province.HONG_KONG: ("香港", "香港特别行政区"),
    Province.MACAO: ("澳门", "澳门特别行政区", "macau"),
    Province.TAIWAN: ("台湾", "台湾省", "臺灣"),
}

SEX_WORDS: dict[str, tuple[str, ...]] = {
    Sex.BOY: ("男", "男孩", "男童", "男生", "m", "male", "boy"),
    Sex.GIRL: ("女", "女孩", "女童", "女生", "f", "female", "girl"),
}

RELATION_WORDS: dict[str, tuple[str, ...]] = {
    Relation.MOTHER: ("母亲", "妈妈", "母", "妈", "mother", "mom", "mum", "mum", "mama"),
    Relation.FATHER: ("父亲", "爸爸", "父", "爸", "father", "dad", "papa"),
    Relation.GRANDMOTHER: (
        "奶奶",
        "外婆",
        "姥姥",
        "祖母",
        "外祖母",
        "grandmother",
        "grandma",
        "granny",
    ),
    Relation.GRANDFATHER: ("爷爷", "外公", "姥爷", "祖父", "外祖父", "grandfather", "grandpa"),
    Relation.AUNT: ("姑姑", "阿姨", "姨", "姨妈", "姑妈", "舅妈", "婶婶", "伯母", "aunt", "auntie"),
    Relation.UNCLE: ("叔叔", "舅舅", "伯伯", "伯父", "叔父", "姑父", "姨父", "uncle"),
    Relation.SIBLING: ("哥哥", "姐姐", "兄", "姐", "哥", "兄姐", "brother", "sister", "sibling"),
    Relation.RELATIVE: ("亲戚", "亲属", "relative"),
    Relation.NEIGHBOUR: ("邻居", "朋友", "老乡", "neighbour", "neighbor", "friend"),
    Relation.OTHER: ("其他", "其它", "other"),
}

# What people write in an allergy cell to mean "nothing to report".
NOTHING_WORDS = {
    "无",
    "没有",
    "无过敏",
    "暂无",
    "否",
    "none",
    "no",
    "n/a",
    "na",
    "nil",
    "-",
    "--",
    "/",
    "—",
}


def _labels_in_each_language(choices) -> dict[str, str]:
    """A choice's label in every language the portal speaks, and each half of "奶奶/外婆"."""
    words: dict[str, str] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in choices.choices:
                label = str(label)
                for word in (label, *label.split("/")):
                    words.setdefault(normalise(word), value)
    return words


@cache
def province_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for value, names in PROVINCE_ZH.items():
        for word in (value, value.replace("_", ""), *names):
            words[normalise(word)] = value
    for word, value in _labels_in_each_language(Province).items():
        words.setdefault(word, value)
        words.setdefault(word + "province", value)
    return words


@cache
def sex_words() -> dict[str, str]:
    words = {normalise(word): value for value, many in SEX_WORDS.items() for word in many}
    for word, value in _labels_in_each_language(Sex).items():
        words.setdefault(word, value)
    return words


@cache
def relation_words() -> dict[str, str]:
    words = {normalise(word): value for value, many in RELATION_WORDS.items() for word in many}
    for word, value in _labels_in_each_language(Relation).items():
        words.setdefault(word, value)
    return words


def province_name(value: str) -> str:
    """A province as the roster writes it: its Chinese name in Chinese, else its label."""
    if not value:
        return ""
    if translation.get_language() != "en" and value in PROVINCE_ZH:
        return PROVINCE_ZH[value][0]
    return str(Province(value).label)
