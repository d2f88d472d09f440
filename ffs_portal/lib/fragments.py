"""What every piece of the board written in Python carries: the board version it shows
(``data-seq``: the tablet keeps the newest) and, in an answer, the mark that htmx swaps it in
by its id (``hx-swap-oob``)."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def version_attrs(seq, oob: bool) -> SafeString:
    """`` data-seq="…"`` when the piece shows a version (a template's unset variable comes
    as ""), and `` hx-swap-oob="true"`` in an answer."""
    return format_html(
        "{}{}",
        format_html(' data-seq="{}"', seq) if seq is not None and seq != "" else "",
        mark_safe(' hx-swap-oob="true"') if oob else "",  # noqa: S308 - a constant
    )
