"""Formulas of computed custom fields: arithmetic (+ − × ÷, parentheses, numbers) over the names
of other fields of the same record. Parsed with ``ast`` and checked against a whitelist of node
types, then evaluated here in ``Decimal`` — never by Python's ``eval``. Bounded in length,
nesting and size, so no input makes the parser or the evaluator recurse deeply."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext

MAX_LENGTH = 500
MAX_DEPTH = 20  # parentheses
MAX_NODES = 200

_SPELLINGS = str.maketrans({"×": "*", "÷": "/", "−": "-", "（": "(", "）": ")", "＋": "+", "－": "-"})
_BINARY: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Constant,
    ast.Name,
    ast.Load,
    *_BINARY,
)


class FormulaError(ValueError):
    """A formula that is not one: ``code`` is stable, ``message`` a translatable text."""

    def __init__(self, message, code: str, **params):
        super().__init__(message)
        self.message, self.code, self.params = message, code, params


def parse(text: str) -> ast.Expression:
    from django.utils.translation import gettext_lazy as _

    text = (text or "").translate(_SPELLINGS).strip()
    if not text:
        raise FormulaError(_("Enter a formula."), "invalid_formula")
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("A formula has at most %(max)d characters."), "formula_too_long", max=MAX_LENGTH)
    depth = deepest = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise FormulaError(
            _("A formula has at most %(max)d levels of parentheses."), "formula_too_long", max=MAX_DEPTH
        )
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise FormulaError(_("The formula is not valid arithmetic."), "invalid_formula") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise FormulaError(_("A formula has at most %(max)d characters."), "formula_too_long", max=MAX_LENGTH)
    for node in nodes:
        if not isinstance(node, _ALLOWED) or (
            isinstance(node, ast.Constant)
            and (isinstance(node.value, bool) or not isinstance(node.value, int | float))
        ):
            raise FormulaError(
                _("Formulas use numbers, field names, + − × ÷ and parentheses only."), "invalid_formula"
            )
    return tree


def names(tree: ast.Expression) -> list[str]:
    """The field names a formula reads, in order of appearance, each once."""
    return list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)))


def evaluate(tree: ast.Expression, resolve: Callable[[str], Decimal | None]) -> Decimal | None:
    """The value, or ``None`` when an input is empty, a division is by zero or the result is
    not a finite number (an empty value, never an error)."""
    with localcontext() as ctx:
        ctx.prec = 34
        ctx.traps[DivisionByZero] = True
        ctx.traps[InvalidOperation] = True
        try:
            result = _eval(tree.body, resolve)
        except (DivisionByZero, InvalidOperation, ZeroDivisionError, _Empty):
            return None
    return result if result is not None and result.is_finite() else None


class _Empty(Exception):
    pass


def _eval(node, resolve) -> Decimal:
    if isinstance(node, ast.Constant):
        number = Decimal(str(node.value))
        if not number.is_finite():
            raise _Empty
        return number
    if isinstance(node, ast.Name):
        value = resolve(node.id)
        if value is None:
            raise _Empty
        return value
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, resolve)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, resolve), _eval(node.right, resolve))
    raise _Empty  # not reached: ``parse`` allows nothing else
