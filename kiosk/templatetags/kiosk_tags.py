"""Bilingual text for the kiosk: both languages are in the page and the
language switch only changes which one shows, so text written by scripts
switches too."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def t(zh, en):
    return format_html('<span class="t-zh" lang="zh-Hans">{}</span><span class="t-en" lang="en">{}</span>', zh, en)


@register.inclusion_tag("kiosk/number_entry.html")
def number_entry(name, max_digits, placeholder_zh, placeholder_en, extra_class=""):
    """A field the on-screen number pad under it types into (static/kiosk/kiosk.js)."""
    return {"name": name, "max_digits": max_digits, "placeholder_zh": placeholder_zh,
            "placeholder_en": placeholder_en, "extra_class": extra_class}
