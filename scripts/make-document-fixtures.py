#!/usr/bin/env python3
"""Write the binary document fixtures of tests/ingestion into tests/fixtures/documents/.

The text fixtures (HTML, Markdown, plain text) are committed by hand beside them. Run in a throwaway venv:

    python3 -m venv /tmp/fixtures-venv
    /tmp/fixtures-venv/bin/pip install reportlab==5.1.0 python-docx==1.2.0
    /tmp/fixtures-venv/bin/python scripts/make-document-fixtures.py

PDFs are byte-for-byte reproducible (reportlab's invariant mode); the DOCX zip carries timestamps, so
only its content is.
"""
from pathlib import Path

from docx import Document
from PIL import Image
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "documents"

PAGES = [
    [
        "Returns and refunds",
        "You can return any item within 30 days of delivery.",
        "Refunds reach your card within five business days.",
    ],
    [
        "Shipping",
        "Orders ship from our warehouse in Lyon every weekday.",
        "Express delivery arrives the next day in mainland France.",
    ],
]


def pdf(
    name: str, pages: list[list[str]], encrypt: str | None = None, title: str | None = None, font: str | None = None
) -> bytes:
    path = OUT / name
    canvas = Canvas(str(path), invariant=True, encrypt=encrypt)
    if title:
        canvas.setTitle(title)
    for lines in pages:
        if font:
            canvas.setFont(font, 14)
        y = 760
        for line in lines:
            canvas.drawString(72, y, line)
            y -= 24
        canvas.showPage()
    canvas.save()
    return path.read_bytes()


def scanned_pdf(name: str) -> None:
    """A page with only vector graphics: what a scan without OCR looks like to a text extractor."""
    canvas = Canvas(str(OUT / name), invariant=True)
    canvas.rect(72, 500, 300, 200, fill=1)
    canvas.showPage()
    canvas.save()


def docx(name: str) -> None:
    document = Document()
    document.core_properties.title = ""
    document.add_heading("Account security", level=1)
    document.add_paragraph("Keep your account safe with these steps.")
    document.add_heading("Two-factor authentication", level=2)
    for item in ["Open Settings", "Choose Security", "Scan the QR code"]:
        document.add_paragraph(item, style="List Bullet")
    document.add_paragraph("Contact support if you lose your phone.")
    document.save(str(OUT / name))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    guide = pdf("guide.pdf", PAGES, title="Parley Returns Guide")
    pdf("encrypted.pdf", PAGES[:1], encrypt="secret", title="Locked")
    # Cut inside the page objects: the cross-reference table and trailer are gone.
    (OUT / "truncated.pdf").write_bytes(guide[: len(guide) // 2])
    scanned_pdf("scanned.pdf")
    # A CJK font that is not embedded: its text decodes only with pdf.js's character maps.
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    pdf("japanese.pdf", [["返品は30日以内に受け付けます。"]], title="返品について", font="HeiseiMin-W3")
    docx("security.docx")
    Image.new("RGB", (8, 8), (200, 30, 30)).save(OUT / "image-renamed.pdf", format="PNG")


if __name__ == "__main__":
    main()
