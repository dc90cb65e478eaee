"""The in-app modeler: process owners redraw a diagram in the browser and deploy it through the one pipeline."""
