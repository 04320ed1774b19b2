"""Validators of customer data. The phone validators live with the phone numbers in
``lianke.core.phones``; they are imported here because early migrations name them here."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianke.core.phones import validate_mobile, validate_phone

__all__ = ["credit_code_check_char", "validate_credit_code", "validate_mobile", "validate_phone"]

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


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
