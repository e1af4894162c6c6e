"""The guide environment reads ``x.y`` on the dict contexts as keys without Jinja's
AttributeError round trip (issue 12), and an override template sees exactly what plain Jinja
gives it, including for keys that shadow a dict method (``.items``, ``.keys``, ``.get``)."""

from __future__ import annotations

import jinja2
import pytest

from planner.guide.render import GuideEnvironment

CONTEXT = {"d": {"items": "ITEMS", "keys": 3, "week": {"n": 1}, "get": None, "_x": "u"},
           "rows": [{"title": "a"}, {"title": "b"}], "text": "abc", "n": 5}
TEMPLATES = [
    "{{ d.items }}", "{{ d['items'] }}", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{{ d.keys }}", "{{ d.get }}", "{{ d.week.n }}", "{{ d._x }}", "{{ d.missing is defined }}",
    "{% for r in rows %}{{ r.title }}{% endfor %}", "{{ text.upper() }}", "{{ n.real }}",
    "{{ d.week.missing | default('none') }}", "{{ rows.0.title }}", "{{ d.__class__ }}",
]


@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize("undefined", [jinja2.Undefined, jinja2.StrictUndefined])
def test_lookups_match_plain_jinja(source: str, undefined) -> None:
    ours = GuideEnvironment(undefined=undefined).from_string(source).render(CONTEXT)
    assert ours == jinja2.Environment(undefined=undefined).from_string(source).render(CONTEXT)


def test_a_missing_key_is_still_an_error_with_strict_undefined() -> None:
    for env in (GuideEnvironment(undefined=jinja2.StrictUndefined),
                jinja2.Environment(undefined=jinja2.StrictUndefined)):
        with pytest.raises(jinja2.UndefinedError, match="'dict object' has no attribute 'nope'"):
            env.from_string("{{ d.nope }}").render(CONTEXT)
