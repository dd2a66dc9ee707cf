"""The ministry reviewers' admin, one module per subdomain; importing them registers them."""

from evaluation.admin import people, programmes, reporting, rulesets, runs

__all__ = ["people", "programmes", "reporting", "rulesets", "runs"]
