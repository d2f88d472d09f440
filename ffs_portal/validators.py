from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# Mainland mobile numbers: 11 digits starting with 1.
MOBILE_PATTERN = r"^1[0-9]{10}$"

validate_mobile = RegexValidator(
    MOBILE_PATTERN,
    _("Enter a mainland mobile number: 11 digits starting with 1, e.g. 13812345678."),
    code="invalid_mobile",
)
