"""Phone numbers: what a valid one looks like, its digits-only form, and the ``tel:`` link.

A number is kept as typed (``0512-6688 1234 转 801``) for people to read, and as digits
(``051266881234``) for search: ``PhoneDigitsField`` stores :func:`phone_digits` of its phone in
an indexed column, and a search text that looks like a number is turned into the same form by
:func:`query_digits`, so ``093958521981``, ``0939-58521981`` and ``+86 939 5852 1981`` all meet.
One normalisation for both sides, here:

- full-width characters (a Chinese input method's ``１３９``) count as their ASCII twins;
- the mainland country code goes: ``+86`` / ``0086`` always, a bare ``86`` only in front of an
  11-digit mobile (``8613912345678``); a landline written internationally gets its trunk ``0``
  back (``+86 512 6688 1234`` → ``051266881234``, Beijing ``+86 10 …`` → ``010…``);
- another country keeps its code (``+1 415 555 0100`` and ``001 415 555 0100`` → ``14155550100``);
- an extension (``转 801``, ``分机 801``, ``ext. 801``, ``x801``, ``#801``) is not part of the number.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^(\+?86[- ]?)?1[3-9]\d{9}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ()]{3,28}[0-9](\s*(ext|转|#)\s*[0-9]{1,6})?$")

# The longest digits form stored (a 30-character number plus a restored trunk 0, with room).
MAX_DIGITS = 32
# A search text is taken for a phone number when it holds only digits and phone punctuation and
# at least this many digits: an area code (0512) or the first four digits of a mobile (1391).
# Shorter fragments match too large a share of all numbers to be worth a lookup.
QUERY_MIN_DIGITS = 4

_EXTENSION_RE = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_QUERY_RE = re.compile(r"^\s*\+?[0-9\s\-().]*$")
_MOBILE_DIGITS_RE = re.compile(r"^1[3-9]\d{9}$")
_NON_DIGITS_RE = re.compile(r"[^0-9]")  # ASCII digits only (NFKC made full-width ones ASCII)


def validate_mobile(value: str) -> None:
    if value and not MOBILE_RE.match(value.replace(" ", "")):
        raise ValidationError(
            _("Enter a valid mainland China mobile number (11 digits starting with 1)."), code="invalid"
        )


def validate_phone(value: str) -> None:
    if value and not PHONE_RE.match(value):
        raise ValidationError(_("Enter a valid phone number."), code="invalid")


def _national(digits: str) -> str:
    """A mainland number written after its country code, as dialled at home: mobiles (1[3-9]…)
    and service numbers (400/800…) as they are, landlines with their trunk 0."""
    if digits.startswith("0") or re.match(r"1[3-9]|[48]00", digits):
        return digits
    return "0" + digits


def parse(text: str | None) -> tuple[str, str, bool]:
    """``(digits, extension, foreign)``: the number as dialled in mainland China (another
    country's number: its country code and number, ``foreign`` true), and the extension."""
    text = unicodedata.normalize("NFKC", str(text or "")).replace("\x00", "")
    extension = ""
    if match := _EXTENSION_RE.search(text):
        extension, text = match.group(1), text[: match.start()]
    digits = _NON_DIGITS_RE.sub("", text)
    international = text.lstrip().startswith("+")
    if not international and digits.startswith("00"):  # the international call prefix
        international, digits = True, digits[2:]
    foreign = False
    if international:
        if digits.startswith("86"):
            digits = _national(digits[2:])
        else:
            foreign = bool(digits)
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE_DIGITS_RE.match(digits[2:]):
        digits = digits[2:]
    return digits[:MAX_DIGITS], extension, foreign


def phone_digits(text: str | None) -> str:
    """The digits-only form stored next to a phone number and matched by search."""
    return parse(text)[0]


def query_digits(text: str | None) -> str | None:
    """The digits form of a search text that looks like a (part of a) phone number, else
    ``None``: only digits and ``+ - ( ) .`` and spaces (an extension is allowed and ignored),
    at least :data:`QUERY_MIN_DIGITS` digits, no longer than a stored number can be."""
    text = unicodedata.normalize("NFKC", str(text or "")).replace("\x00", "")
    main = _EXTENSION_RE.sub("", text)
    if not _QUERY_RE.match(main):
        return None
    digits = phone_digits(text)
    if len(digits) < QUERY_MIN_DIGITS or len(digits) >= MAX_DIGITS:
        return None
    return digits


def digits_successor(digits: str) -> str | None:
    """The smallest digit string of the same length above every string starting with
    ``digits`` (``0939`` → ``0940``); ``None`` for all nines (no upper bound needed).

    ``prefix <= column < successor`` selects the numbers starting with ``prefix`` from a plain
    b-tree on both databases, whatever the column's collation: strings of ASCII digits sort the
    same in every collation, which a bound such as ``prefix || ':'`` cannot rely on."""
    stripped = digits.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def tel_url(text: str | None) -> str | None:
    """``tel:`` link that dials the number from a phone in mainland China (another country's
    number with ``+`` and its code), the extension after a pause; ``None`` without digits."""
    digits, extension, foreign = parse(text)
    if not digits:
        return None
    return "tel:" + ("+" if foreign else "") + digits + (f",{extension}" if extension else "")


def mailto_url(address: str | None) -> str | None:
    """``mailto:`` link for an e-mail address (characters that would start headers escaped)."""
    address = (address or "").strip()
    return "mailto:" + quote(address, safe="@+") if address else None
