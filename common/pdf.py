"""The sheet layout every printed list, sheet and statement uses: lines of text,
blocks kept together, page numbers, on a reportlab canvas."""

import io
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getFont, unicode2T1
from reportlab.pdfgen.canvas import Canvas

LINE = 5.2 * mm
MARGIN = 15 * mm


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages until it is saved, so each can say « page 2 / 8 »:
    the number of pages is known only once the last one is drawn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        if not self._held or self._code:  # the page being drawn is not held yet
            self._held.append(dict(self.__dict__))
        pages = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self.setFont("Helvetica", 9)
            self.drawRightString(
                self._pagesize[0] - MARGIN,
                self._pagesize[1] - MARGIN,
                _("page %(page)s / %(pages)s") % {"page": number, "pages": pages},
            )
            super().showPage()
        super().save()


class Sheet:
    """A tiny layout engine on a reportlab canvas: lines of text, blocks kept together,
    page numbers. Letter by default; A4 prints it with its margins intact."""

    def __init__(self, title: str, subtitle: str, pagesize: tuple[float, float] = LETTER) -> None:
        self.buffer = io.BytesIO()
        self.canvas = _NumberedCanvas(self.buffer, pagesize=pagesize, pageCompression=1)
        self.canvas.setTitle(title)
        self.width, self.height = pagesize
        self.title, self.subtitle = title, subtitle
        self.pages = 0
        self._font_names: dict[str, str] = {}
        self._new_page()

    def _new_page(self) -> None:
        if self.pages:
            self.canvas.showPage()
        self.pages += 1
        c = self.canvas
        c.setFont("Helvetica-Bold", 13)
        c.drawString(MARGIN, self.height - MARGIN, self.title)
        c.setFont("Helvetica", 9)
        c.drawString(MARGIN, self.height - MARGIN - LINE, self.subtitle)
        # The page number (« page 2 / 8 ») is drawn by the canvas once every page is known.
        self.y = self.height - MARGIN - 2.6 * LINE

    def room(self) -> float:
        return self.y - MARGIN

    def ensure(self, lines: int) -> None:
        """Start a new page unless `lines` more lines fit (a block that cannot fit any
        page is split where it must be)."""
        if lines * LINE > self.room() and self.y < self.height - MARGIN - 3 * LINE:
            self._new_page()

    def text(
        self,
        left: str,
        right: str = "",
        *,
        bold: bool = False,
        indent: float = 0,
        size: float = 9.5,
    ) -> None:
        if self.room() < LINE:
            self._new_page()
        font = "Helvetica-Bold" if bold else "Helvetica"
        self._string(MARGIN + indent, self.y, left[:110], font, size)
        if right:
            self._string(self.width - MARGIN, self.y, right, font, size, right=True)
        self.y -= LINE

    def _string(
        self, x: float, y: float, text: str, font: str, size: float, *, right: bool = False
    ) -> None:
        """What `drawString` (or `drawRightString`) writes for text in one standard font,
        written at once: its text object costs five times more, and a week's sheets
        draw half a million lines. Text that needs another font (a symbol outside the
        font's encoding) goes through `drawString`, which switches fonts."""
        face = getFont(font)
        parts = unicode2T1(text, [face, *face.substitutionFonts])
        if len(parts) != 1 or parts[0][0] is not face:
            self.canvas.setFont(font, size)
            draw = self.canvas.drawRightString if right else self.canvas.drawString
            draw(x, y, text)
            return
        if right:
            x -= face.stringWidth(text, size)
        name = self._font_names.get(font)
        if name is None:
            name = self._font_names[font] = self.canvas._doc.getInternalFontName(font)
        self.canvas._code.append(
            f"BT {name} {fp_str(size)} Tf 1 0 0 1 {fp_str(x)} {fp_str(y)} Tm "
            f"({escapePDF(parts[0][1])}) Tj ET"
        )

    def box_and_signature(self, label: str) -> None:
        c = self.canvas
        c.rect(MARGIN, self.y - 1, 3.2 * mm, 3.2 * mm)
        c.setFont("Helvetica", 8.5)
        c.drawString(MARGIN + 5 * mm, self.y, label)
        c.line(self.width - MARGIN - 60 * mm, self.y - 1, self.width - MARGIN, self.y - 1)
        self.y -= LINE

    def rule(self) -> None:
        self.canvas.setLineWidth(0.4)
        self.canvas.line(MARGIN, self.y + LINE * 0.55, self.width - MARGIN, self.y + LINE * 0.55)
        self.y -= LINE * 0.4

    def finish(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()
