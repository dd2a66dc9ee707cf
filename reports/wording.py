"""The reasons of a stored result in the active language are the domain's
(``evaluation.wording``): the documents and the reviewers' admin say them the same way."""

from evaluation.wording import *  # noqa: F403
