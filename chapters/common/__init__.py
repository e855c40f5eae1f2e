"""What every chapter stands on: scales, corpora, text, metrics, plots, checks.

Import the module you need (`from chapters.common import text`); this package
imports nothing itself, so that `import chapters.common.scales` stays light.
"""
