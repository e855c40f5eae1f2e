"""Chapter 6: beyond the notebook (export, serving, many devices, mixed precision)."""
