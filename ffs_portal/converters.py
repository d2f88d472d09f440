"""URL parts the portal's own tokens are made of, so that nothing else reaches a view."""


class TokenConverter:
    """A token of ``secrets.token_urlsafe``: letters, digits, "-" and "_"."""

    regex = r"[A-Za-z0-9_-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
