"""Missing children: police missing-person notifications, each child's episodes, the return home interview
offered within 72 hours of the return, and the repeat-episodes flag (processes/missing_episode.bpmn)."""
