"""What every chapter stands on: scales, corpora, tokenizers, metrics, plots, checks.

Import the module you need (`from chapters.common import tokenizers`); this package
imports nothing itself, so that `import chapters.common.scales` stays light.
"""
