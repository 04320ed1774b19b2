"""Validators of customer data. They live with the rules they check — phones in
``lianke.core.text.phones``, the unified social credit code in ``lianke.core.text.identity`` — and are
imported here because migrations name them here."""

from lianke.core.text.identity import credit_code_check_char, validate_credit_code
from lianke.core.text.phones import validate_mobile, validate_phone

__all__ = ["credit_code_check_char", "validate_credit_code", "validate_mobile", "validate_phone"]
