"""The pages a read of a child's record can come from, as the access log names them."""

from django.utils.translation import gettext_lazy as _

PAGE_LABELS = {
    "family": _("Family page"),
    "child_form": _("Child's record (edit)"),
    "tablet_sheet": _("Tablet: child's sheet"),
    "calendar": _("Child's attendance calendar"),
    "cards": _("Printed children's cards"),
    "term_roster": _("Term roster"),
    "day_sheet": _("Day sheet"),
    "health": _("Health page"),
    "medicines": _("Medicines"),
    "incident": _("Incident"),
    "incident_list": _("Incidents of a site"),
    "refused_list": _("Refused pickups today"),
    "site_messages": _("Messages to the site's families"),
    "roster_export": _("Roster export"),
    "guardian_file": _("File for the guardian"),
}

ACTION_LABELS = {
    "child.viewed": _("viewed"),
    "child.card_printed": _("printed the card"),
    "child.calendar_viewed": _("viewed the attendance"),
    "child.exported": _("exported"),
    "child.file_given": _("made the guardian's file"),
    "health.viewed": _("viewed health checks"),
    "health.medicines_viewed": _("viewed medicines"),
    "incident.viewed": _("viewed an incident"),
}


def page_label(code) -> str:
    """The page's name in the user's language ("—" for reads logged before pages were named)."""
    if not code:
        return "—"
    return str(PAGE_LABELS.get(code, code))
