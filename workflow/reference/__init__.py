"""Reference data: the risk-factor taxonomy and code lists, as data files with en + vi labels.

The codes live in `taxonomy.yaml` and `codes.yaml` so a deployment can edit them; code asks
`load_catalog()` instead of hard-coding any of them.
"""

from workflow.reference.catalog import (
    CODE_LISTS,
    KINDS,
    OUTCOMES,
    AgeGroup,
    Catalog,
    Category,
    ConclusionReason,
    Factor,
    Label,
    ReferenceDataError,
    UnknownCode,
    load_catalog,
)

__all__ = [
    "CODE_LISTS",
    "KINDS",
    "OUTCOMES",
    "AgeGroup",
    "Catalog",
    "Category",
    "ConclusionReason",
    "Factor",
    "Label",
    "ReferenceDataError",
    "UnknownCode",
    "load_catalog",
]
