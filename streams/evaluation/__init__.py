"""``xlapulse evaluate``: score simulated incidents and calm weeks, compare with the truth.

``harness.py`` runs a scenario through the in-process engine and yields what it
publishes, with the event time of publication; ``visibility.py``, ``correlation.py``
and ``silent.py`` measure those publications against the scenario's truth
(``xlapulse.collectors.simulator.truth``); ``report.py`` runs it all and prints the table.
"""
