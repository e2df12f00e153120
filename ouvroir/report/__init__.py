"""Reports a person would rather look at than read: self-contained HTML built from an audit's JSON."""

from .build import ReportFiles, render_html, write_report

__all__ = ["ReportFiles", "render_html", "write_report"]
