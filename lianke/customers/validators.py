import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MOBILE_RE = re.compile(r"^(\+?86[- ]?)?1[3-9]\d{9}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ()]{4,28}[0-9](\s*(ext|转|#)\s*[0-9]{1,6})?$")


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters + check digit."""
    code = (value or "").upper()
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        raise ValidationError(
            _("A unified social credit code has 18 digits and capital letters."), code="format"
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong."), code="checksum"
        )


def validate_mobile(value: str) -> None:
    if value and not MOBILE_RE.match(value.replace(" ", "")):
        raise ValidationError(_("Enter a valid mainland China mobile number (11 digits starting with 1)."))


def validate_phone(value: str) -> None:
    if value and not PHONE_RE.match(value):
        raise ValidationError(_("Enter a valid phone number."))
