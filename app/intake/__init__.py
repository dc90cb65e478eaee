"""The front door: contacts reported by professionals, through the web form or the API."""
