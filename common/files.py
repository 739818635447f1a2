"""Serving a generated document (a list, a sheet, a statement) from private storage,
once the calling view has checked who may see it."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def serve(*, pdf: FieldFile, csv: FieldFile, fmt: str, fallback: str) -> FileResponse:
    """The PDF (shown in the browser) or the CSV (downloaded); 404 for another format
    or a file gone from storage."""
    file = {"pdf": pdf, "csv": csv}.get(fmt)
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=fmt == "csv",
        filename=(file.name or f"{fallback}.{fmt}").rsplit("/", 1)[-1],
        content_type="application/pdf" if fmt == "pdf" else "text/csv; charset=utf-8",
    )
