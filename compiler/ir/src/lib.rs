//! The typed posture model: the single input of every emitter and analysis.
