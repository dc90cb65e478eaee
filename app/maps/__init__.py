"""Process maps: the diagrams as living documentation, and each case drawn on its own map."""
