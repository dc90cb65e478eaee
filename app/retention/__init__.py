"""Data protection for the hub's records: the retention policy that anonymises contacts closed with no
further action, and the subject access export that gathers everything held about one person.

policy.py picks the contacts that are due (and those held back, with why); anonymise.py removes one
contact's personal data and keeps its coded facts; operations.py runs the policy one case per
transaction; subject_access.py builds the export; people.py is the one place a person is matched;
records.py is the one list of case records with free text that both sides read.
"""
