"""QR codes as inline SVG (receipts, pay screens, booking codes, ticket pages, a
hall's check-in code): no images on disk, nothing fetched from outside."""

import io
import re

import qrcode
import qrcode.image.svg


def qr_svg(data: str) -> str:
    """The QR code of `data` as an <svg> element, black on white, scalable."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(data)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    svg = out.getvalue().decode("utf-8")
    # Drop the XML declaration: the SVG goes inline into HTML.
    svg = svg[svg.index("<svg"):]
    # Sized by the page (CSS), not in millimetres.
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg role="img" aria-label="QR"', svg, count=1)
