"""Reusable widgets of the walkthrough: checklist, QR panel, code input."""
