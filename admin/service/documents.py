"""Plain A4 PDF documents handed to people outside the service (the supervisory authority, a parent): a title,
labelled facts, sections of text and simple tables, in the PDF's built-in font."""

from __future__ import annotations

from fpdf import FPDF

_PLAIN = (("—", "-"), ("–", "-"), ("×", "x"), ("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("…", "..."))


def latin1(text: str) -> str:
    """The built-in font covers Latin-1 (Indonesian needs no more): typographic marks become their plain forms,
    anything else '?'."""
    for fancy, plain in _PLAIN:
        text = text.replace(fancy, plain)
    return text.encode("latin-1", "replace").decode("latin-1")


class Document:
    def __init__(self, title: str, subtitle: str) -> None:
        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        self._line(title, "B", 14, 8)
        self._line(subtitle, "", 9, 5)
        self.pdf.ln(3)

    def _line(self, text: str, style: str, size: int, height: float) -> None:
        self.pdf.set_font("Helvetica", style, size)
        self.pdf.multi_cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def facts(self, facts: list[tuple[str, str]]) -> None:
        for label, value in facts:
            self._line(label, "B", 10, 6)
            self._line(value, "", 10, 6)

    def section(self, label: str, text: str) -> None:
        self.pdf.ln(2)
        self._line(label, "B", 11, 6)
        self._line(text, "", 10, 5)

    def table(self, headings: list[str], rows: list[list[str]]) -> None:
        self.pdf.set_font("Helvetica", "", 8)
        with self.pdf.table(text_align="LEFT", line_height=4.5) as table:
            heading = table.row()
            for text in headings:
                heading.cell(latin1(text))
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(latin1(text))

    def new_page(self) -> None:
        self.pdf.add_page()

    def output(self) -> bytes:
        return bytes(self.pdf.output())
