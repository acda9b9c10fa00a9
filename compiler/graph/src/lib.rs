//! The control graph: posture items, artifacts, checks, controls, baselines and frameworks.
