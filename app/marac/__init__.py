"""The domestic abuse pathway's work beyond the front door: Operation Encompass (telling the child's school
before the next school day) and MARAC (referring a high-risk victim, recording the meeting's actions,
repeat victims found through the person index)."""
