"""Professional disagreements: an agency, a decision maker or the referrer disputes a contact's RAG rating or
outcome, and the operations manager resolves it (the safeguarding partnership's Escalation, or Resolving
Professional Differences, policy).

Raising one records it here and sends the ``professional_disagreement`` signal to the case's workflow: the
diagram's event subprocess opens "Resolve professional disagreement" with its deadline. The step is an
ordinary task; completing it marks the record resolved (app.casework.recording). A closed contact can be
disputed too: its case opens again for the step and closes again when it is resolved.
"""
