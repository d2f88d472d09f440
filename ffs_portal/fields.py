"""Form fields shared by the apps' forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ffs_portal.lib.mobiles import read_mobile


class MobileField(forms.CharField):
    """A mainland mobile number as people type it (+86, spaces, dashes, full-width digits),
    cleaned to its 11 digits. Nothing is cut: a digit too many is said, not dropped."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile"))
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)
        # No maxlength: the browser would cut a twelfth digit without a word.
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})

    def clean(self, value):
        return read_mobile(super().clean(value))
