"""The duty rota: who is on duty for each role in each shift, kept by the MASH manager, and escalating an
urgent task nobody has claimed to the person on duty for its role."""
