"""Helpers the code step of this template imports (a package, so that it is
found before any module of the same name elsewhere)."""
