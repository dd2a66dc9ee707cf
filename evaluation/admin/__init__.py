"""The ministry reviewers' admin, one module per subdomain; importing them registers them."""

from evaluation.admin import programmes, reporting, rulesets, runs, tokens

__all__ = ["programmes", "reporting", "rulesets", "runs", "tokens"]
