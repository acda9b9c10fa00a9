//! Renderers: one diagnostic model, several formats. (Filled in by the renderers work.)
