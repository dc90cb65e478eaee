"""Deadlines: the scheduler that fires BPMN timers when they fall due."""
