"""A long-running process that has finished starting: what it loaded stays out of the
garbage collector's way.

Why: a web process (and each worker of the transitions benchmark, which stands in for one)
holds about 120,000 objects from start-up: the models, the compiled statements, the rule
packs, the app. Python's full collection walks every one of them each time: measured here,
one full collection every ~2,800 commands, 84 to 252 ms each (a pause some request waits
through), 0.03 to 0.09 ms per command on average. `gc.freeze()` moves what exists now to a
generation the collector never walks, as Python's documentation advises for a process once it
has started; what the process allocates later is collected as before.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what start-up left behind, then freeze the rest (call once, when ready)."""
    gc.collect()
    gc.freeze()
