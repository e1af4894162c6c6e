"""rtr-planner: return-to-run plans after a bone stress injury."""
