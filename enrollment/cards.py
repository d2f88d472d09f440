"""Children's cards: what the QR code holds and how it is drawn."""

import segno


def qr_svg(card_token: str) -> str:
    """An inline SVG QR code holding only the card's opaque token."""
    return segno.make(card_token, error="m").svg_inline(scale=4, border=2, dark="#111")
