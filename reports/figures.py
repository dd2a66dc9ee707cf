"""The figures' formats are the domain's (``evaluation.figures``): the documents, the portal and
the reviewers' admin write a figure the same way."""

from evaluation.figures import *  # noqa: F403
