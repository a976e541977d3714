"""Bilingual text for the kiosk: both languages are in the page and the
language switch only changes which one shows, so text written by scripts
switches too."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def t(zh, en):
    return format_html('<span class="t-zh" lang="zh-Hans">{}</span><span class="t-en" lang="en">{}</span>', zh, en)


@register.filter
def yuan(fen):
    fen = int(fen)
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"
