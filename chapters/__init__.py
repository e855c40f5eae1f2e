"""Importable code of the course: one package per chapter, plus `common`."""
