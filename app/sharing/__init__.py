"""Information sharing: the record of every sharing decision and the information product that leaves the hub."""
