"""One stateful fake per tracker, shared by the end-to-end and the hardening tests.

* ``world.py``: a tracker kept in memory (issues, comments, milestones, labels,
  people, history) and the scenario the fault tests start from;
* ``github.py`` and ``jira.py``: a World served as the tracker's REST API
  through ``responses`` (payloads built on the recordings in tests/fixtures/);
* ``memory.py``: a World as a Connector, without HTTP;
* ``http.py``: what the two HTTP fakes share: routing, the call log, faults.
"""
