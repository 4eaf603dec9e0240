"""A web process, once its app is built, keeps what it loaded out of the collector's walks
(hubtable.settled): a full collection then walks only what came after."""

from __future__ import annotations

import json
import subprocess
import sys


def test_a_settled_process_leaves_only_what_came_after_to_the_collector():
    code = ("import gc, json; import workflow.models, workflow.situations; "
            "from hubtable.settled import settle; before = len(gc.get_objects()); settle(); "
            "later = [[i] for i in range(100)]; "
            "print(json.dumps([before, gc.get_freeze_count(), len(gc.get_objects())]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    before, frozen, walked = json.loads(out)
    assert frozen > 0.9 * before  # what start-up loaded is frozen
    assert 100 <= walked < 0.05 * before  # the collector walks what came after, and only it
