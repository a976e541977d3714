"""QR codes as inline SVG: the project's helper (config.qr), as the kiosk has always imported it."""

from config.qr import qr_svg

__all__ = ["qr_svg"]
