"""The hub's information product for a decided case, as a page and as a PDF."""
