"""The hub's one search box: a case by its reference, a child by name (the person index's fuzzy matching), date
of birth, NHS number or postcode, answered within need to know."""
