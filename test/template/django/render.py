"""Renders a JSON template corpus with real Django; the reference side of the differential test.

Usage: /usr/bin/python3 render.py < corpus.json > results.json

Input: {"cases": [{name, template, templates?, context, language?}, ...]}.
- `templates` maps names to sources (a locmem loader serves them); without it the case's
  `template` is itself the source, stored under the name "case".
- Context values are JSON, with two markers decoded here and by the node side alike:
  {"$date": "2008-01-01T12:30:00.000000Z"} is an aware datetime (UTC) and
  {"$safe": "<b>"} is a string marked safe.
- `language` activates that language for the render (default en-us).
- `before` lists templates rendered first with the same context (their output is dropped): the
  fragment cache they fill is what the case renders against. The cache is cleared before each
  case.

Output: {"results": {name: {"output": "..."} | {"error": "ExceptionClassName"}}}.

Settings: DjangoTemplates with autoescape on, string_if_invalid "", USE_TZ=True, TIME_ZONE UTC,
USE_I18N/USE_L10N on, STATIC_URL "/static/", a small URLconf (`urls` below), a locmem cache.
"""
import datetime
import json
import os
import random
import sys
import types

import django
from django.conf import settings

LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")

TEMPLATES = {}

urls = types.ModuleType("differential_urls")
sys.modules["differential_urls"] = urls

settings.configure(
    DEBUG=False,
    USE_TZ=True,
    TIME_ZONE="UTC",
    USE_I18N=True,
    USE_L10N=True,
    LANGUAGE_CODE="en-us",
    LOCALE_PATHS=[LOCALE_DIR],
    STATIC_URL="/static/",
    ROOT_URLCONF="differential_urls",
    INSTALLED_APPS=[],
    SECRET_KEY="differential",
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": False,
            "OPTIONS": {
                "autoescape": True,
                "string_if_invalid": "",
                "debug": False,
                "context_processors": [],
                "loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)],
            },
        }
    ],
)
django.setup()

from django.core.cache import cache  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path, re_path  # noqa: E402
from django.utils import translation  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402


# Django 5.2's behaviour where 3.2 differs, for the generated corpus (Django's own tests state
# 5.2's expected output themselves): `{% blocktranslate asvar %}` stores a SafeString (Django
# fixed the double escaping in 4.x: `context[self.asvar] = SafeString(result)`).
from django.templatetags.i18n import BlockTranslateNode  # noqa: E402
from django.utils.safestring import SafeString  # noqa: E402

_blocktranslate_render = BlockTranslateNode.render


def _blocktranslate_render_52(self, context, nested=False):
    output = _blocktranslate_render(self, context, nested)
    if self.asvar:
        context[self.asvar] = SafeString(context[self.asvar])
    return output


BlockTranslateNode.render = _blocktranslate_render_52


def view(request, *args, **kwargs):  # pragma: no cover - never called
    raise NotImplementedError


# The route names Django's own url tag tests reverse, plus the generator's.
urls.urlpatterns = [
    path("", view, name="index"),
    re_path(r"^client/([0-9,]+)/$", view, name="client"),
    re_path(r"^client/(?P<id>[0-9]+)/(?P<action>[^/]+)/$", view, name="client_action"),
    re_path(r"^named-client/([0-9]+)/$", view, name="named.client"),
    re_path(r"^Юникод/(\w+)/$", view, name="метка_оператора"),
    re_path(r"^Юникод/(?P<tag>\S+)/$", view, name="метка_оператора_2"),
    path("item/<int:pk>/", view, name="item"),
    path("items/", view, name="items"),
]


def decode(value):
    if isinstance(value, dict):
        if len(value) == 1 and "$date" in value:
            text = value["$date"].replace("Z", "+00:00")
            return datetime.datetime.fromisoformat(text)
        if len(value) == 1 and "$safe" in value:
            return mark_safe(value["$safe"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def render(engine, case):
    TEMPLATES.clear()
    if "templates" in case:
        TEMPLATES.update(case["templates"])
        name = case["template"]
    else:
        TEMPLATES["case"] = case["template"]
        name = "case"
    context = decode(case.get("context", {}))
    random.seed(0)  # the node side draws from the same generator (pyrandom.ts)
    cache.clear()
    with translation.override(case.get("language", "en-us")):
        try:
            for first in case.get("before", []):
                engine.get_template(first).render(context)
            return {"output": engine.get_template(name).render(context)}
        except Exception as e:  # noqa: BLE001 - the class name is the result
            return {"error": type(e).__name__}


def main():
    corpus = json.load(sys.stdin)
    engine = engines["django"]
    results = {case["name"]: render(engine, case) for case in corpus["cases"]}
    json.dump({"django": django.get_version(), "results": results}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
