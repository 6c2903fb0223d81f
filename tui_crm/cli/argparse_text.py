"""argparse's own words ("usage:", "positional arguments", "options", its errors) in the
user's language.

argparse translates them with the standard `gettext` of its module, which knows no
catalog of ours: so its `_` and `ngettext` become ours, and its messages are listed here
(marked for extraction) with their Spanish in our catalog. The messages are argparse's
exact English (Python 3.11-3.13), placeholders included.
"""

from __future__ import annotations

import argparse

from ..i18n import N_, _, ngettext

MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("unexpected option string: %s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


def _plural_marks() -> None:  # pragma: no cover - never called: marks the plurals
    ngettext("expected %s argument", "expected %s arguments", 1)


def speak_argparse() -> None:
    """argparse's messages through our catalog, in the language of this process."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
