"""The job: fetch, evaluate, reconcile, publish, record; and the CLI and daemon around it."""
