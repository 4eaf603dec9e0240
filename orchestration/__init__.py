"""The Prefect adapter: flows that call the core's commands on a schedule or on demand.

Nothing here decides anything about a situation: the flows only say *when* the core's sweep,
agenda, purge, report and notification commands run. Modules that a web request may import
(`wakeup`, `status`, `schedule`) do not import Prefect, which costs a second and ~100 MB.
"""
