"""Who a company or person is, once: the keys two records are compared by, and the duplicate check.

Every later feature that asks "do we already have this customer?" calls this module and nothing
else — the warnings when an account is created, lead conversion, customer registration, the
blacklist and imports:

- :func:`company_key` — a Chinese company name reduced to what distinguishes it. Stored in an
  indexed column next to the name (``core.fields.CompanyKeyField``: an account's ``name_key``, a
  lead's ``company_key``), derived on every write like a phone's digits.
- :func:`credit_code_key` / :func:`validate_credit_code` — the unified social credit code
  (统一社会信用代码, GB 32100-2015) and its check character.
- :func:`email_key` — an address compared without case; phones use ``phones.phone_digits``.
- :class:`Identity` — which columns of a type hold these keys, declared in its registration;
  the duplicate check that compares them is ``core.search.duplicates.find_duplicates``.

The name rules (the table of real names in ``core/tests/test_identity.py`` fixes them):

1. NFKC (full-width letters, digits and brackets become half-width), case folded; brackets of
   every shape (（）【】〔〕［］…) are one kind; spaces and punctuation are dropped.
2. Legal forms at the end go, repeatedly: 股份有限公司, 有限责任公司, 有限公司, 集团, 公司, 厂…
   and their English forms (Co., Ltd., Limited, Inc., Group…). So 江苏沙钢集团有限公司,
   江苏沙钢(集团)有限公司 and 沙钢集团 all become 沙钢.
3. A province or city at the start (江苏, 江苏省, 苏州市…; ``core.text.regions``) goes, and so does a
   place in brackets (宝钢(上海)有限公司) — but only when what remains still names a company:
   上海宝钢 → 宝钢, while 南京钢铁 and 马鞍山钢铁 keep their city (钢铁 alone is an industry, not
   a company; :data:`GENERIC_WORDS`).
4. A branch office (分公司, 分厂, 办事处) is **not** its head office: its key is the head office's
   key, ``#``, the branch's place and its kind. 江苏沙钢集团有限公司苏州分公司,
   江苏沙钢集团有限公司(苏州)分公司 and 沙钢集团苏州分公司 meet (``沙钢#苏州分公司``); none of
   them meets 江苏沙钢集团有限公司, nor the Wuxi branch.

When these rules change, a data migration recomputes the stored keys (``core.migration_operations.
fill_derived``), as the ones that added the columns did.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import regions

# ------------------------------------------------------------------------------------ credit codes
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_key(value: str | None) -> str:
    """A credit code as stored and compared: half-width, capitals, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or ""))).upper()


def credit_code_check_char(first17: str) -> str:
    """The check character (the 18th) of a credit code's first 17 characters."""
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters + check digit."""
    code = credit_code_key(value)
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        raise ValidationError(
            _("A unified social credit code has 18 digits and capital letters."), code="format"
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong."), code="checksum"
        )


def is_credit_code(value: str | None) -> bool:
    try:
        validate_credit_code(value or "")
    except ValidationError:
        return False
    return True


# ------------------------------------------------------------------------------------ e-mail
def email_key(email: str | None) -> str:
    """An e-mail address as compared: trimmed, lower case (what ``LOWER(email)`` gives for the
    ASCII addresses people use; the indexes are on that expression)."""
    return str(email or "").strip().lower()


# ------------------------------------------------------------------------------------ company names
# Legal forms, longest first: stripped from the end, repeatedly (集团有限公司 = 集团 + 有限公司).
LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "总公司",
    "公司",
    "集团",
    "总厂",
    "厂",
)
# The forms by their last character, in the order above: a name is tried only against the forms
# that could end it (the key is computed for every record written).
_FORMS_BY_ENDING = {
    end: tuple(form for form in LEGAL_FORMS if form[-1] == end) for end in {f[-1] for f in LEGAL_FORMS}
}
_FORM_LONGEST = max(map(len, LEGAL_FORMS))
# English legal forms, matched as words at the end of the (case-folded) name.
_LATIN_FORMS_RE = re.compile(
    r"[\s,.]*\b(?:co\.?\s*,?\s*ltd|company\s+limited|limited|ltd|inc|incorporated|corp|corporation"
    r"|company|co|group|holdings?|gmbh|llc|plc|s\.?a|ag)\.?\s*$"
)
BRANCH_FORMS = ("分公司", "分厂", "办事处")
# Words that name an industry or a trade, not a company: a name made of nothing else keeps its
# leading place (南京钢铁, 上海第一钢铁), since without it every such company would meet.
GENERIC_WORDS = frozenset(
    """钢铁 钢 铁 特钢 特殊钢 钢材 钢管 钢板 钢带 钢丝 钢绳 钢构 钢结构 不锈钢 优钢 型钢 带钢 焊管 线材 型材
    金属 金属制品 制品 有色 有色金属 铝 铝业 铜 铜业 管业 冶金 矿业 矿产 物资 贸易 国际贸易 国际 商贸 工贸
    经贸 外贸 进出口 实业 机械 机电 重工 重型 建设 建工 建筑 建材 工程 城建 城投 交通 科技 技术 发展 投资
    控股 材料 新材料 五金 能源 电力 电气 化工 汽车 船舶 销售 供应链 物流 加工 制造 铸造 锻造 服务 管理
    咨询 产业 工业 企业 钢厂 第 一 二 三 四 五 六 七 八 九 十 中国 中华""".split()  # noqa: SIM905 - a list to read
)
_GENERIC_LONGEST = max(len(w) for w in GENERIC_WORDS)
_PLACES = regions.place_names()
_PLACES_LONGEST = max(len(p) for p in _PLACES)
_BRACKET_PLACES = _PLACES | {"中国", "china", "prc"}
# Brackets of every shape, after NFKC (which already made （） and ［］ half-width).
_BRACKETS = str.maketrans(dict.fromkeys("[{【〔〖「『《〈", "(") | dict.fromkeys("]}】〕〗」』》〉", ")"))
_BRACKET_MARKS_RE = re.compile("[" + re.escape("[]{}【】〔〕〖〗「」『』《》〈〉") + "]")
_BRACKETED_RE = re.compile(r"\(([^()]*)\)")
_NOT_WORD_RE = re.compile(r"[\W_]+")


def _ends_in_latin(text: str) -> bool:
    """Could a Latin legal form (``_LATIN_FORMS_RE``: a word, an optional dot, blanks) end
    ``text``? Only if a Latin letter does, before them: most names end in Chinese, and the
    expression's search, tried at every position, is the slowest step of a name's key."""
    text = text.rstrip()
    return text.removesuffix(".")[-1:] in _LATIN_LETTERS


_LATIN_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")


def _is_generic(text: str) -> bool:
    """Is ``text`` made only of :data:`GENERIC_WORDS` and digits (an industry, not a name)?"""
    reachable = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - _GENERIC_LONGEST), end):
            if reachable[start] and (text[start:end] in GENERIC_WORDS or text[start:end].isdigit()):
                reachable[end] = True
                break
    return reachable[-1]


def _strip_legal_forms(text: str) -> str:
    """``text`` without the legal forms it ends with (longest first, repeatedly), unless what
    would remain is only the start of a legal form itself (公司 stays 公司)."""
    while forms := _FORMS_BY_ENDING.get(text[-1:]):
        for form in forms:
            if text.endswith(form):
                rest = text[: -len(form)]
                if rest and (len(rest) > _FORM_LONGEST or not any(f.startswith(rest) for f in LEGAL_FORMS)):
                    text = rest
                    break
        else:
            return text
    return text


def _leading_place(text: str) -> str:
    """The longest province or city name ``text`` starts with, or ``""``."""
    for size in range(min(_PLACES_LONGEST, len(text) - 1), 1, -1):
        if text[:size] in _PLACES:
            return text[:size]
    return ""


def _trailing_place(text: str) -> str:
    for size in range(min(_PLACES_LONGEST, len(text) - 1), 1, -1):
        if text[-size:] in _PLACES:
            return text[-size:]
    return ""


def _distinctive(rest: str) -> bool:
    """Does ``rest`` still name a company once a place before it is dropped?"""
    return len(rest) >= 2 and not _is_generic(rest)


def _core_key(text: str) -> str:
    """The key of a head office's name (already folded and without punctuation)."""
    text = _strip_legal_forms(text)
    for _round in range(2):  # 江苏省苏州市…: a province and a city
        place = _leading_place(text)
        if not place or not _distinctive(text[len(place) :]):
            break
        text = _strip_legal_forms(text[len(place) :])
    return text


def _place_key(place: str) -> str:
    return regions.province_short_name(place) if place in _PLACES else place


def _drop_bracketed_places(text: str) -> str:
    """``宝钢(上海)有限公司`` → ``宝钢有限公司``; other brackets lose only their marks
    (``永钢(集团)`` → ``永钢集团``), and so does a branch's place (``(苏州)分公司``)."""

    def replace(match: re.Match) -> str:
        inner = _NOT_WORD_RE.sub("", match.group(1))
        before_branch = text[match.end() :].lstrip().startswith(BRANCH_FORMS)
        if inner in _BRACKET_PLACES and not before_branch:
            return " "
        return " " + match.group(1) + " "

    return _BRACKETED_RE.sub(replace, text)


@functools.lru_cache(maxsize=65536)
def company_key(name: str | None) -> str:
    """What a company name is compared by (the rules are in this module's docstring);
    ``""`` for an empty name."""
    text = unicodedata.normalize("NFKC", str(name or "")).casefold()
    if _BRACKET_MARKS_RE.search(text):  # translating every name would cost more than the search
        text = text.translate(_BRACKETS)
    if "(" in text:
        text = _drop_bracketed_places(text)
    while _ends_in_latin(text) and (match := _LATIN_FORMS_RE.search(text)) and match.start() > 0:
        text = text[: match.start()]
    text = _NOT_WORD_RE.sub("", text)
    if not text:
        return ""
    for form in BRANCH_FORMS:
        if text.endswith(form) and len(text) > len(form):
            return _branch_key(text[: -len(form)], form)
    return _core_key(text) or text


def _branch_key(before: str, form: str) -> str:
    """A branch: its head office's key, ``#``, its place and kind. The head office is the name up
    to its last legal form (江苏沙钢集团有限公司|苏州) or, without one, up to a trailing place
    (沙钢|苏州)."""
    end = max((before.rfind(f) + len(f) for f in LEGAL_FORMS if before.rfind(f) > 0), default=0)
    if end == 0 and (place := _trailing_place(before)):
        end = len(before) - len(place)
    head, place = (before[:end], before[end:]) if end else (before, "")
    return f"{_core_key(head) or head}#{_place_key(place)}{form}"


# ------------------------------------------------------------------------------------ declarations
@dataclass(frozen=True)
class Identity:
    """How an object type's records are recognised, declared in its registration
    (``ObjectType.identity``): the names of its company-key column (a ``CompanyKeyField``), its
    credit code, its phones' digits columns (``PhoneDigitsField``) and its e-mail fields. Each
    needs a b-tree index (for e-mail: on ``Lower(field)``); ``limit`` bounds the candidates of
    one check in this type."""

    name_key: str | None = None
    credit_code: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    limit: int = 20
