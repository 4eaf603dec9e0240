"""Msgids of the labels the core declares (stage names, meeting outcomes), for extraction.

The core owns the codes and their English labels (workflow.stages.LABELS,
workflow.meetings.OUTCOME_LABELS); webui translates them at run time with lazy_gettext on the
label. pybabel cannot see through a variable, so the labels are listed here once.
"""

from flask_babel import lazy_gettext as _l

LABELS = (
    _l("draft"), _l("submitted"), _l("on the agenda"), _l("presented"), _l("accepted"),
    _l("rejected"), _l("disclosed"), _l("intervention"), _l("closed"), _l("withdrawn"),
    _l("reported back"), _l("not discussed"), _l("planned"), _l("plan recorded"),
    _l("plan changed"), _l("open"),
    _l("risk lowered"), _l("still at acutely elevated risk"), _l("transferred"),
    _l("not accepted"), _l("to the next meeting"), _l("not decided yet"),
)
