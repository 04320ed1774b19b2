"""Pinyin forms of names, for search: what a Chinese user types instead of the characters.

``forms("中国石油")`` is ``"zhongguoshiyou zgsy"``: the full pinyin without tones and the
initials, lower case, no spaces, as tokens separated by one space. A person's name
(``person=True``) whose surname has a reading of its own as a surname (单 shan, 曾 zeng, 解 xie …)
gets that reading as well, the surname reading first: ``forms("单伟", person=True)`` is
``"shanwei sw danwei dw"``. At most :data:`MAX_VARIANTS` readings are kept, each as its full
and its initials token. Letters and digits outside Chinese characters are kept as they are
(lower case); everything else is dropped.

What a search text of letters adds to a search (``query_letters``, ``letters_successor``) is
turned into conditions on the pinyin columns by ``core.search.textsearch`` (``pinyin_parts``,
``pinyin_q``).
"""

from __future__ import annotations

import gc
import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import RE_HANS
from pypinyin.seg.simpleseg import seg as segment

# pypinyin's dictionaries, loaded by the imports above, are ~190,000 lists and dicts that never
# change — more than twice what the rest of the application keeps (~80,000 objects). Every full
# pass of the cyclic garbage collector walked them: ~0.1–0.2 s a pass, which the batch path
# triggers about once per 5,000-row batch (~20–40 µs a row, charged in profiles to whichever
# function happened to allocate then — model instances, the phone validator's match). Frozen
# here, at import (before any request or batch exists), the collector ignores them and what was
# loaded before them; reference counting still frees any of them that is dropped.
gc.freeze()

MAX_VARIANTS = 4
MAX_LENGTH = 255  # the column's length: trailing tokens that do not fit are dropped

# Surnames read differently from the character's common reading (单 is dan, as a surname shan).
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "区": "ou",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "尉": "yu",
    "繁": "po",
    "召": "shao",
    "员": "yun",
    "缪": "miao",
    "翟": "zhai",
    "种": "chong",
    "覃": "qin",
    "冼": "xian",
    "秘": "bi",
    "折": "she",
    "长": "chang",
    "宿": "su",
    "藏": "zang",
    "哈": "ha",
    "阚": "kan",
}

_KEEP = re.compile(r"[^0-9a-z]")
_LETTERS = re.compile(r"[a-z]{2,}")


def _syllables(text: str) -> list[str]:
    """The lower-case syllables of ``text`` (other runs of letters and digits kept as one).

    ``lazy_pinyin`` cuts a text into words (its phrase dictionary decides a polyphonic
    character's reading from its neighbours) and converts each word; doing the same here with
    each word's syllables cached gives the same result ~25 times faster on company names, whose
    words (places, 钢铁, 有限公司) repeat — the batch path and the demo loader convert millions."""
    out: list[str] = []
    for han, other in _RUNS.findall(text):
        if han:
            out += _run_syllables(han)
        elif cleaned := _KEEP.sub("", other.lower().replace("ü", "v")):
            out.append(cleaned)  # as ``_word_syllables`` has it, without its cache (numbers differ)
    return out


# pypinyin cuts a text first into runs of Chinese characters and runs of anything else (one
# character at a time, in Python), then each Chinese run into words: one expression finds the
# runs — a Chinese one in the first group, any other in the second — and each Chinese run's
# syllables are kept. Another run is one token: cached, the unique numbers of names would only
# push the Chinese words out.
_HAN = RE_HANS.pattern.removeprefix("^(?:").removesuffix(")+$")
_RUNS = re.compile(f"({_HAN}+)|((?:(?!{_HAN}).)+)", re.DOTALL)


@lru_cache(maxsize=65536)
def _run_syllables(run: str) -> tuple[str, ...]:
    """The syllables of a run of Chinese characters: its words' (each cached as well, words
    recur in other runs), kept for the run as a whole (机械制造有限公司: one look-up, not five)."""
    out: list[str] = []
    for word in segment(run):
        out += _word_syllables(word)
    return tuple(out)


@lru_cache(maxsize=65536)
def _word_syllables(word: str) -> tuple[str, ...]:
    if not RE_HANS.match(word):  # letters, digits and the rest stay as they are: one token
        cleaned = _KEEP.sub("", word.lower().replace("ü", "v"))
        return (cleaned,) if cleaned else ()
    out = []
    for part in lazy_pinyin(word, style=Style.NORMAL, errors="default"):
        cleaned = _KEEP.sub("", part.lower().replace("ü", "v"))
        if cleaned:
            out.append(cleaned)
    return tuple(out)


def _tokens(syllables: list[str]) -> list[str]:
    return ["".join(syllables), "".join(s[0] for s in syllables)] if syllables else []


@lru_cache(maxsize=65536)  # people's names repeat (the demo loader, imports)
def forms(name: str | None, *, person: bool = False) -> str:
    """The searchable pinyin forms of ``name``, space-separated ("" for none); see the module."""
    name = (name or "").strip()
    if not name:
        return ""
    common = _syllables(name)
    readings = [common]
    first = name[0]
    if person and first in SURNAME_READINGS and common:
        rest = _syllables(name[1:])
        readings.insert(0, [SURNAME_READINGS[first], *rest])
    tokens: list[str] = []
    for syllables in readings[:MAX_VARIANTS]:
        for token in _tokens(syllables):
            if token not in tokens:
                tokens.append(token)
    out = ""
    for token in tokens:
        candidate = f"{out} {token}" if out else token
        if len(candidate) > MAX_LENGTH:
            break
        out = candidate
    return out


def initials_of(name_forms: str) -> str:
    """The initials of the first reading in a name's :func:`forms` ("zhongguoshiyou zgsy" →
    "zgsy"; "" if it has no second token, as a name of one letter)."""
    _full, _space, rest = name_forms.partition(" ")
    return rest.partition(" ")[0]


def other_readings_of(name_forms: str) -> str:
    """The tokens after the first reading's two in a name's :func:`forms` — a person's other
    reading — each after a space ("shanwei sw danwei dw" → " danwei dw"), so that every one of
    them is found as contained text that starts with a space; "" for a name of one reading."""
    tokens = name_forms.split(" ")
    return "".join(f" {token}" for token in tokens[2:])


def query_letters(text: str) -> str | None:
    """The lower-case letters of a search ``text`` made of ASCII letters only (two or more,
    spaces and apostrophes ignored: "zhong guo", "xi'an"), which pinyin forms may start with;
    else ``None``."""
    letters = re.sub(r"[\s']", "", text).lower()
    return letters if _LETTERS.fullmatch(letters) else None


def letters_successor(letters: str) -> str | None:
    """The smallest string above every string starting with ``letters`` (``zg`` → ``zh``);
    ``None`` if there is none ("zzz"). Lower-case ASCII letters sort the same in every
    collation, so ``letters <= column < successor`` is a prefix match a plain b-tree serves."""
    stripped = letters.rstrip("z")
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)
