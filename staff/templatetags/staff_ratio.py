"""The ratio's pill and its detail, written in Python: every check-in's answer and every
refresh of the board carries both, and the templates they were took longer to render than
the check-in's own statements. ``staff/_ratio.html`` and ``staff/_ratio_detail.html`` call
these, so every page shows the same markup."""

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ffs_portal.lib.fragments import version_attrs
from staff.ratio import AMBER, RED

register = template.Library()

_WORDS = {
    RED: ("bi-exclamation-octagon-fill", lambda: _("Over ratio")),
    AMBER: ("bi-exclamation-triangle-fill", lambda: _("Near the limit")),
}
_OK = ("bi-check-circle-fill", lambda: _("Ratio OK"))


def ratio_pill_html(ratio, seq=None, oob: bool = False) -> SafeString:
    """The board's ratio pill: its state in a word, children and staff on duty."""
    icon, word = _WORDS.get(ratio.state, _OK)
    assessment = ratio.assessment
    return format_html(
        '<a id="board-ratio" href="{}" class="ratio-pill ratio-{}"{} title="{}">\n'
        '  <i class="bi {}" aria-hidden="true"></i> <span class="ratio-word">{}</span>\n'
        '  <span class="ratio-numbers">{}</span>\n</a>',
        reverse("staff:duty", kwargs={"site": ratio.site.pk}),
        ratio.state,
        version_attrs(seq, oob),
        _("Staff on duty"),
        icon,
        word(),
        _("%(children)s children · %(staff)s staff")
        % {"children": assessment.children, "staff": assessment.staff},
    )


def ratio_detail_html(ratio, seq=None, oob: bool = False, duty_clock: bool = False) -> SafeString:
    """The ratio's detail under the pill: over ratio, how many adults are missing, who to
    call (``staff/_ratio_call.html``) and the duty clock for those who use the board
    (``duty_clock``); then the children and adults needed by age band."""
    assessment = ratio.assessment
    alert = ""
    if ratio.state == RED:
        call = render_to_string("staff/_ratio_call.html", {"ratio": ratio})
        clock = (
            format_html(
                '<a class="btn btn-outline-light btn-sm ms-auto" href="{}">{}</a>',
                reverse("staff:duty", kwargs={"site": ratio.site.pk}),
                _("Duty clock"),
            )
            if duty_clock
            else ""
        )
        short = assessment.short_by
        alert = format_html(
            '\n  <div class="alert alert-danger d-flex flex-wrap align-items-center gap-2 mb-2" '
            'role="alert">\n    <i class="bi bi-exclamation-octagon-fill fs-4" '
            'aria-hidden="true"></i>\n    <strong>{}</strong>\n    <span class="ratio-call" '
            'hx-get="{}" hx-trigger="load" hx-swap="innerHTML">{}</span>\n    {}\n  </div>\n  ',
            ngettext(
                "Over ratio: one more adult is needed now.",
                "Over ratio: %(counter)s more adults are needed now.",
                short,
            )
            % {"counter": short},
            reverse("staff:ratio_call", kwargs={"site": ratio.site.pk}),
            mark_safe(call),  # noqa: S308 - a template's output, escaped there
            clock,
        )
    bands = format_html_join(
        "",
        '<span class="me-3">{}</span>',
        (
            (
                _("%(low)s–%(high)s yrs: %(n)s (1 adult per %(per)s)")
                % {
                    "low": load.band.min_age,
                    "high": load.band.max_age,
                    "n": load.children,
                    "per": load.band.per_adult,
                },
            )
            for load in assessment.bands
            if load.children
        ),
    )
    needed = (
        format_html(
            "<span>{}</span>",
            _("%(needed)s adults needed · %(staff)s on duty")
            % {"needed": assessment.adults_needed, "staff": assessment.staff},
        )
        if assessment.children
        else ""
    )
    return format_html(
        '\n<div id="ratio-detail" class="ratio-detail" data-state="{}"{}>\n  {}\n'
        '  <div class="ratio-bands small text-body-secondary">\n    {}\n    {}\n  </div>\n</div>\n',
        ratio.state,
        version_attrs(seq, oob),
        alert,
        bands,
        needed,
    )


@register.simple_tag
def ratio_pill(ratio, seq=None, oob=False) -> SafeString:
    return ratio_pill_html(ratio, seq=seq, oob=bool(oob))


@register.simple_tag(takes_context=True)
def ratio_detail(context, ratio, seq=None, oob=False) -> SafeString:
    can = context.get("can") or {}
    return ratio_detail_html(ratio, seq=seq, oob=bool(oob), duty_clock=bool(can.get("use_board")))
