"""``core.html.esc`` escapes as Django's ``conditional_escape`` does, for any value."""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from lianke.core.html import esc

text = st.text(alphabet=st.sampled_from(list("ab张<>&\"' =;#x\u2028")), max_size=12)
values = st.one_of(
    text,
    text.map(mark_safe),
    text.map(lambda t: lazy(lambda: t, str)()),
    st.integers(),
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False),
)


@given(values)
def test_esc_is_conditional_escape(value):
    assert esc(value) == conditional_escape(value)


def test_safe_text_stays_as_it_is_and_lazy_text_is_translated_then_escaped():
    assert esc(mark_safe("<b>x</b>")) == "<b>x</b>"
    assert esc("<script>alert('x')</script>") == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert esc(gettext_lazy("Select")) == conditional_escape(gettext_lazy("Select"))
