"""QR codes as inline SVG (receipts, pay screens): config.qr, shared with the
queue's own pages."""

from config.qr import qr_svg

__all__ = ["qr_svg"]
